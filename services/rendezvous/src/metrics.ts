/**
 * The rendezvous service's own metrics, beside server-kit's (HTTP, FDO messages, TO0/TO1 sessions with
 * their durations): owner registrations accepted or refused (TO0), devices redirected (TO1), and the
 * registrations held, counted at each scrape.
 */
import type { Counter, ServiceMetrics, SessionOutcome } from '@fdo/server-kit';
import type { RendezvousStore } from './store/registrations.js';

export interface RendezvousMetrics {
  /** TO0.OwnerSign answered with TO0.AcceptOwner (`accepted`) or refused (`refused`). */
  to0Registrations: Counter<'result'>;
  /** TO1.ProveToRV answered with TO1.RVRedirect. */
  to1Redirects: Counter;
  onOutcome(outcome: SessionOutcome): void;
}

export function rendezvousMetrics(
  metrics: ServiceMetrics,
  registrations: RendezvousStore,
  now: () => number,
): RendezvousMetrics {
  const to0Registrations = metrics.counter({
    name: 'fdo_rv_to0_registrations_total',
    help: 'TO0 owner registrations accepted or refused',
    labelNames: ['result'],
  });
  for (const result of ['accepted', 'refused']) to0Registrations.inc({ result }, 0);
  const to1Redirects = metrics.counter({
    name: 'fdo_rv_to1_redirects_total',
    help: 'Devices redirected to their owner (TO1.RVRedirect sent)',
  });
  metrics.gauge({
    name: 'fdo_rv_registrations',
    help: 'Owner registrations held, by state (expired ones are kept for the purge grace period)',
    labelNames: ['state'],
    async collect() {
      // A database outage must not fail the whole scrape: the gauge keeps its last values (and /ready says why).
      const counts = await registrations.counts(new Date(now())).catch(() => null);
      if (counts === null) return;
      this.set({ state: 'active' }, counts.active);
      this.set({ state: 'expired' }, counts.expired);
    },
  });
  return {
    to0Registrations,
    to1Redirects,
    onOutcome: (o) => {
      if (o.protocol === 'TO0' && (o.outcome === 'completed' || o.step === 'TO0.OwnerSign')) {
        to0Registrations.inc({ result: o.outcome === 'completed' ? 'accepted' : 'refused' });
      }
      if (o.protocol === 'TO1' && o.outcome === 'completed') to1Redirects.inc();
    },
  };
}
