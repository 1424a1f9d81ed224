/**
 * Background housekeeping: removes registrations that expired more than the grace period ago, and
 * spent nonces whose tokens have expired. Every instance runs it (with jitter); the deletes are
 * idempotent, so instances never conflict, and a stopped instance leaves the work to the others.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RendezvousStore } from './store/registrations.js';

export interface PurgeOptions {
  intervalSeconds: number;
  graceSeconds: number;
  now?: () => number;
}

export class Purger {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(
    private readonly store: RendezvousStore,
    private readonly options: PurgeOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** One pass; resolves with what was removed. */
  async runOnce(): Promise<{ registrations: number; nonces: number }> {
    const now = (this.options.now ?? Date.now)();
    const removed = await this.store.purge(new Date(now - this.options.graceSeconds * 1000), new Date(now));
    if (removed.registrations > 0 || removed.nonces > 0)
      this.log.info(removed, 'purged expired registrations and nonces');
    return removed;
  }

  start(): void {
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const jitter = 0.8 + Math.random() * 0.4;
    this.#timer = setTimeout(
      () => {
        this.#running = this.runOnce()
          .catch((err: unknown) => this.log.error({ err }, 'purge failed; it will be retried'))
          .finally(() => this.#schedule());
      },
      this.options.intervalSeconds * 1000 * jitter,
    );
    this.#timer.unref();
  }
}
