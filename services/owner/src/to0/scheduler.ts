/**
 * TO0 automation (FDO 1.1 §5.3): every voucher not yet onboarded (or reusing its credential) is
 * registered at each rendezvous server of its RV info the owner may use, renewed once a share of the
 * granted WaitSeconds has passed, retried with exponential backoff and jitter on failure, and left
 * alone once the device has onboarded. Instances share the work through leases (store/registrations.ts).
 */
import { randomBytes } from 'node:crypto';
import { registerWithRendezvous } from '@fdo/client-kit';
import { OwnershipVoucher, RVTO2Addr } from '@fdo/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { To0Config } from '../config.js';
import type { OwnerKeys } from '../keys.js';
import type { OwnerMetrics, To0Result } from '../metrics.js';
import type { ClaimedRegistration, RegistrationStore } from '../store/registrations.js';

export interface SchedulerOptions {
  config: To0Config;
  store: RegistrationStore;
  keys: OwnerKeys;
  /** Where devices reach this owner for TO2 (to1d). */
  to2Addresses: readonly string[];
  log: FastifyBaseLogger;
  now?: () => number;
  /** Random in [0, 1) for the jitter; tests pin it. */
  random?: () => number;
  /** Counts and times each run (`fdo_owner_to0_*`). */
  metrics?: Pick<OwnerMetrics, 'to0Runs' | 'to0Duration'>;
}

export interface RoundResult {
  claimed: number;
  registered: number;
  failed: number;
}

/** Why a TO0 run failed, in one line for the device's timeline. */
function describeError(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : '';
  return `${e.message}${cause}`.replace(/\s+/g, ' ').slice(0, 500);
}

export class To0Scheduler {
  /** This instance's name in lease_owner. */
  readonly instanceId = randomBytes(6).toString('hex');
  readonly #addresses: RVTO2Addr[];
  readonly #now: () => number;
  readonly #random: () => number;
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RoundResult> | undefined;
  #stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.#addresses = options.to2Addresses.map((a) => RVTO2Addr.fromUrl(a));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Delay before retry number `failures` (1 for the first failure): base × 2^(n-1), capped, with jitter. */
  backoffMs(failures: number): number {
    const { backoffSeconds, backoffMaxSeconds } = this.options.config;
    const full = Math.min(backoffMaxSeconds, backoffSeconds * 2 ** Math.min(failures - 1, 30)) * 1000;
    return Math.round(full / 2 + (full / 2) * this.#random()); // "equal jitter": between half and all of it
  }

  /** Runs rounds every intervalSeconds until {@link stop}. */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      this.#timer = undefined;
      void this.runOnce()
        .catch((err: unknown) => this.options.log.error({ err }, 'TO0 round failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.options.config.intervalSeconds * 1000).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** One round: claims due rows, registers each (a few at a time), records the outcomes. */
  runOnce(): Promise<RoundResult> {
    this.#running ??= this.#round_().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #round_(): Promise<RoundResult> {
    const { config, store } = this.options;
    const result: RoundResult = { claimed: 0, registered: 0, failed: 0 };
    for (;;) {
      const now = new Date(this.#now());
      const claimId = `${this.instanceId}:${++this.#round}`;
      const { due, claimed: rows } = await store.claim(
        claimId,
        now,
        new Date(now.getTime() + config.leaseSeconds * 1000),
        config.batchSize,
      );
      if (due === 0) return result;
      // Another instance claimed these first: look again (their leases now hide them).
      if (rows.length === 0) continue;
      result.claimed += rows.length;
      let next = 0;
      const worker = async () => {
        while (next < rows.length) {
          const row = rows[next++]!;
          if (await this.#register(row)) result.registered++;
          else result.failed++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, rows.length) }, worker));
      if (due < config.batchSize) return result;
    }
  }

  async #register(row: ClaimedRegistration): Promise<boolean> {
    const started = performance.now();
    const ok = await this.#attempt(row);
    const result: To0Result = !ok ? 'failed' : row.renewal ? 'renewed' : 'registered';
    this.options.metrics?.to0Runs.inc({ result });
    this.options.metrics?.to0Duration.observe({ result }, (performance.now() - started) / 1000);
    return ok;
  }

  async #attempt(row: ClaimedRegistration): Promise<boolean> {
    const { config, store, keys, log } = this.options;
    let error: string;
    try {
      const key = keys.bySpkiSha256(row.ownerKeySha256);
      if (key === undefined)
        throw new Error(`the owner key ${row.ownerKeySha256} of this voucher is no longer configured`);
      const voucher = OwnershipVoucher.decode(row.voucher);
      const { waitSeconds } = await registerWithRendezvous(row.rvUrl, {
        voucher,
        ownerKey: key.privateKey,
        addresses: this.#addresses,
        waitSeconds: config.waitSeconds,
      });
      const now = new Date(this.#now());
      const renewAt = new Date(now.getTime() + Math.max(1, Math.floor(waitSeconds * config.renewFraction)) * 1000);
      await store.registered(row, now, waitSeconds, renewAt);
      log.debug({ guid: row.guid, rendezvous: row.rvUrl, waitSeconds }, 'TO0: registered');
      return true;
    } catch (err) {
      error = describeError(err);
    }
    const now = new Date(this.#now());
    const retryAt = new Date(now.getTime() + this.backoffMs(row.failures + 1));
    log.warn({ guid: row.guid, rendezvous: row.rvUrl, error, retryAt }, 'TO0: registration failed');
    await store.failed(row, now, error, retryAt);
    return false;
  }
}
