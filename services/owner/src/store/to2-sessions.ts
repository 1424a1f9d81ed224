/**
 * The fences of live TO2 sessions (FDO 1.1 §5.5; the protocol's `To2SessionFence`): one row per
 * session with the version its next token must carry. The session state rides in the sealed token, so
 * each message costs one conditional write here and no read; a state too large for a token is kept in
 * the row and returned by that same write. On the bare driver (`db.sql`): through Prisma the session
 * load and save cost most of a TO2 message's CPU. Ended sessions are deleted at once, abandoned ones by
 * {@link purge}.
 */
import type { FenceClaim, To2SessionFence } from '@fdo/protocol';
import { LAZY_WRITE, type SqlDriver } from '@fdo/storage';
import type { DeviceStatusStore } from './device-status.js';

export class To2SessionStore implements To2SessionFence {
  constructor(
    private readonly sql: SqlDriver,
    private readonly devices: DeviceStatusStore,
  ) {}

  /**
   * A session opens when TO2.HelloDevice is answered, which is also when the device's TO2 began: the
   * fence's row and the device's status and timeline are one write (DeviceStatusStore.to2Started).
   * A voucher deleted since HelloDevice read it leaves no fence: the device's next message gets error 1.
   */
  async open(id: string, guid: string, expiresAt: Date, state: Uint8Array | null): Promise<void> {
    await this.devices.to2Started(guid, { id, expiresAt, state });
  }

  // A fence's writes need not wait for the disk (LAZY_WRITE): after a power failure a fence may be a
  // version behind or gone, so a token of a session in flight at that moment might be accepted once
  // more or refused; either way the device's retry starts a new session. What an onboarding stores
  // (TO2.Done) is durable, and its commit makes every earlier write durable too.
  async claim(
    id: string,
    version: number,
    how: FenceClaim,
    expiresAt: Date,
  ): Promise<{ state: Uint8Array | null } | undefined> {
    const [row] =
      how === 'end'
        ? await this.sql.query<{ state: Uint8Array | null }>(
            `DELETE FROM "owner_to2_session" WHERE "id" = $1 AND "version" = $2 RETURNING "state"`,
            [id, version],
            LAZY_WRITE,
          )
        : how === 'check'
          ? await this.sql.query<{ state: Uint8Array | null }>(
              `SELECT "state" FROM "owner_to2_session" WHERE "id" = $1 AND "version" = $2`,
              [id, version],
            )
          : await this.sql.query<{ state: Uint8Array | null }>(
              `UPDATE "owner_to2_session" SET "version" = $1, "expires_at" = $2
               WHERE "id" = $3 AND "version" = $4 RETURNING "state"`,
              [version + 1, expiresAt, id, version],
              LAZY_WRITE,
            );
    return row === undefined ? undefined : { state: row.state };
  }

  async keep(id: string, version: number, state: Uint8Array): Promise<void> {
    await this.sql.execute(
      `UPDATE "owner_to2_session" SET "state" = $1 WHERE "id" = $2 AND "version" = $3`,
      [state, id, version],
      LAZY_WRITE,
    );
  }

  async end(id: string): Promise<void> {
    await this.sql.execute(`DELETE FROM "owner_to2_session" WHERE "id" = $1`, [id], LAZY_WRITE);
  }

  /** Deletes sessions idle past their expiry; returns how many. */
  async purge(now: Date): Promise<number> {
    return this.sql.execute(`DELETE FROM "owner_to2_session" WHERE "expires_at" < $1`, [now]);
  }
}
