/**
 * What the owner's management routes share: their dependencies, REST errors, GUID and date parameters,
 * cursor paging and the filter query. Private keys are never part of any reply.
 */
import { ApiError, guidParam, timeRangeParams } from '@fdo/server-kit';
import type { OwnerKeys } from '../../keys.js';
import type { OwnerMetrics } from '../../metrics.js';
import type { Profiles } from '../../profiles/profiles.js';
import type { DeviceStatusStore } from '../../store/device-status.js';
import type { RegistrationStore } from '../../store/registrations.js';
import { DEVICE_STATES, type DeviceState, type VoucherFilter, type VoucherStore } from '../../store/vouchers.js';

export interface ApiDeps {
  vouchers: VoucherStore;
  devices: DeviceStatusStore;
  registrations: RegistrationStore;
  keys: OwnerKeys;
  /** Device CA certificates (DER) checked at import; empty: off. */
  deviceCas: readonly Uint8Array[];
  importMaxBytes: number;
  now: () => number;
  /** Wakes the TO0 scheduler (after an import or a re-register request); no-op when it is off. */
  wakeScheduler: () => void;
  metrics: OwnerMetrics;
  /** Credential profiles, or null when none are configured. */
  profiles: Profiles | null;
}

export const notFound = (guid: string) => new ApiError(404, 'not_found', `no voucher with GUID ${guid}`);

export interface FilterQuery {
  guid?: string;
  tag?: string;
  state?: DeviceState;
  from?: string;
  to?: string;
}

export const TAG_SCHEMA = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]+$' } as const;

export { ApiError, guidParam };

/** Query-string properties of the voucher/device filter, for route schemas. */
export const filterQueryProperties = {
  guid: { type: 'string', maxLength: 36, description: 'GUID, dashes optional' },
  tag: { ...TAG_SCHEMA, description: 'devices carrying this tag' },
  state: { type: 'string', enum: DEVICE_STATES, description: 'device state' },
  from: { type: 'string', description: 'imported at or after (ISO 8601)' },
  to: { type: 'string', description: 'imported before (ISO 8601)' },
} as const;

export const pageQueryProperties = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  cursor: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'nextCursor of the previous page' },
} as const;

export function filterOf(q: FilterQuery): VoucherFilter {
  const { from, to } = timeRangeParams(q);
  return {
    ...(q.guid === undefined ? {} : { guid: guidParam(q.guid) }),
    ...(q.tag === undefined ? {} : { tag: q.tag }),
    ...(q.state === undefined ? {} : { state: q.state }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

/** `{ limit, after }` from `?limit=&cursor=`. */
export function pageOf(q: { limit?: number; cursor?: string }): { limit: number; after?: number } {
  const limit = q.limit ?? 100;
  return q.cursor === undefined ? { limit } : { limit, after: Number(q.cursor) };
}

/** The cursor of the page after `rows` (null when this page was the last). */
export function nextCursor(rows: readonly { id: number }[], limit: number): string | null {
  return rows.length === limit ? String(rows.at(-1)!.id) : null;
}

export const guidParams = {
  type: 'object',
  properties: { guid: { type: 'string', maxLength: 64 } },
  required: ['guid'],
} as const;

export const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
