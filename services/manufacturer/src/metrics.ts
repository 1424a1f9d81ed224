/**
 * The manufacturer's own metrics, beside server-kit's (HTTP, FDO messages, DI sessions started,
 * completed and failed with their durations): devices through DI, and vouchers extended to customers.
 */
import type { Counter, ServiceMetrics, SessionOutcome } from '@fdo/server-kit';

export interface ManufacturerMetrics {
  /** Devices that finished DI: a voucher was written (§5.2, DI.Done sent). */
  diCompleted: Counter;
  /** Vouchers extended to a customer owner key through the management API, by result. */
  vouchersExtended: Counter<'result'>;
  /** For fdoRoutes' `onOutcome`. */
  onOutcome(outcome: SessionOutcome): void;
}

export function manufacturerMetrics(metrics: ServiceMetrics): ManufacturerMetrics {
  const diCompleted = metrics.counter({
    name: 'fdo_mfg_di_completed_total',
    help: 'Devices that completed Device Initialize (a voucher was issued)',
  });
  const vouchersExtended = metrics.counter({
    name: 'fdo_mfg_vouchers_extended_total',
    help: 'Vouchers extended to a customer owner key from the management API, by result',
    labelNames: ['result'],
  });
  for (const result of ['extended', 'already_extended', 'key_type_mismatch']) vouchersExtended.inc({ result }, 0);
  return {
    diCompleted,
    vouchersExtended,
    onOutcome: (o) => {
      if (o.protocol === 'DI' && o.outcome === 'completed') diCompleted.inc();
    },
  };
}
