/**
 * The owner service's own metrics, beside server-kit's (HTTP, FDO messages, TO2 sessions with their
 * durations): vouchers imported, TO0 runs against rendezvous servers, onboardings, and devices by state
 * (counted at each scrape). TO2 sessions count as onboardings (the transport reports their start and end).
 */
import type { Counter, Histogram, ServiceMetrics } from '@fdo/server-kit';
import type { DeviceStatusStore } from './store/device-status.js';
import { DEVICE_STATES } from './store/vouchers.js';

export type To0Result = 'registered' | 'renewed' | 'failed';

export interface OwnerMetrics {
  /** Vouchers in import requests, by result: imported, duplicate, rejected. */
  vouchersImported: Counter<'result'>;
  /** TO0 runs (one voucher at one rendezvous server): first registration, renewal, or failure. */
  to0Runs: Counter<'result'>;
  to0Duration: Histogram<'result'>;
  /** TO2 onboardings: `started` at TO2.HelloDevice, `completed` at TO2.Done2, `failed` otherwise. */
  onboardings: Counter<'result'>;
}

export function ownerMetrics(metrics: ServiceMetrics, devices: DeviceStatusStore): OwnerMetrics {
  const vouchersImported = metrics.counter({
    name: 'fdo_owner_vouchers_imported_total',
    help: 'Vouchers received in import requests, by result',
    labelNames: ['result'],
  });
  const to0Runs = metrics.counter({
    name: 'fdo_owner_to0_runs_total',
    help: 'TO0 registrations of one voucher at one rendezvous server: registered (first), renewed, failed',
    labelNames: ['result'],
  });
  const to0Duration = metrics.histogram({
    name: 'fdo_owner_to0_duration_seconds',
    help: 'Duration of a TO0 run against a rendezvous server, by result',
    labelNames: ['result'],
  });
  const onboardings = metrics.counter({
    name: 'fdo_owner_onboardings_total',
    help: 'Device onboardings (TO2) started, completed and failed',
    labelNames: ['result'],
  });
  for (const result of ['imported', 'duplicate', 'rejected']) vouchersImported.inc({ result }, 0);
  for (const result of ['registered', 'renewed', 'failed']) to0Runs.inc({ result }, 0);
  for (const result of ['started', 'completed', 'failed']) onboardings.inc({ result }, 0);
  metrics.gauge({
    name: 'fdo_owner_devices',
    help: 'Devices (vouchers held) by onboarding state',
    labelNames: ['state'],
    async collect() {
      // A database outage must not fail the whole scrape: the gauge keeps its last values (and /ready says why).
      const counts = await devices.counts().catch(() => null);
      if (counts === null) return;
      for (const state of DEVICE_STATES) this.set({ state }, counts[state]);
    },
  });
  return { vouchersImported, to0Runs, to0Duration, onboardings };
}
