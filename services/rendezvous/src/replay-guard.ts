/**
 * Keeping a TO1.ProveToRV from being answered twice within its token's lifetime (FDO_RV_TO1_REPLAY_GUARD):
 * - `memory` (default): each instance remembers the nonces it answered. A replay that reaches another
 *   instance within the token lifetime (120 s by default) is answered again: with the same to1d that the
 *   original exchange already disclosed to whoever recorded it, and nothing changes on the server, so TO1's
 *   hot path is kept free of database writes.
 * - `database`: every instance shares the ledger of spent nonces (one insert per TO1): strict single use.
 * - `off`: the token lifetime alone bounds replays.
 * TO0 always spends its nonce in the database, in the transaction that stores the registration, because a
 * replayed OwnerSign would change state (roll a registration back to an older to1d).
 */
import type { Nonce, To1ReplayGuard } from '@fdo/protocol';
import { toHex } from '@fdo/protocol';

export class MemoryReplayGuard implements To1ReplayGuard {
  readonly #spent = new Map<string, number>();
  #sweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async consume(nonce: Nonce, expiresAt: Date): Promise<boolean> {
    const now = this.now();
    if (now >= this.#sweepAt) this.#sweep(now);
    const key = toHex(nonce);
    if (this.#spent.has(key)) return false;
    this.#spent.set(key, expiresAt.getTime());
    return true;
  }

  get size(): number {
    return this.#spent.size;
  }

  #sweep(now: number): void {
    for (const [k, exp] of this.#spent) if (exp <= now) this.#spent.delete(k);
    this.#sweepAt = now + 10_000;
  }
}
