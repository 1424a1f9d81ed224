/**
 * What the management routes share: their dependencies, REST errors, the voucher filter read from a
 * query string, and the JSON form of a voucher. Private keys are never part of any reply.
 */
import { pkTypeName, type CryptoProvider, type PkType } from '@fdo/protocol';
import { ApiError, guidParam, timeRangeParams } from '@fdo/server-kit';
import type { ManufacturerDiState } from '../../di-state.js';
import type { ManufacturerMetrics } from '../../metrics.js';
import type { VoucherFilter, VoucherRecord, VoucherStore } from '../../store/voucher-store.js';

export interface ApiDeps {
  store: VoucherStore;
  di: ManufacturerDiState;
  crypto: CryptoProvider;
  metrics: ManufacturerMetrics;
}

export const notFound = (guid: string) => new ApiError(404, 'not_found', `no voucher with GUID ${guid}`);

export interface FilterQuery {
  serial?: string;
  guid?: string;
  tag?: string;
  from?: string;
  to?: string;
}

export { ApiError, guidParam };

/** Query-string properties of the voucher filter, for route schemas. */
export const filterQueryProperties = {
  serial: { type: 'string', maxLength: 128, description: 'serial number, exact' },
  guid: { type: 'string', maxLength: 36, description: 'GUID, dashes optional' },
  tag: { type: 'string', maxLength: 128, description: 'batch/order tag, exact' },
  from: { type: 'string', description: 'created at or after (ISO 8601)' },
  to: { type: 'string', description: 'created before (ISO 8601)' },
} as const;

export function filterOf(q: FilterQuery): VoucherFilter {
  const { from, to } = timeRangeParams(q);
  return {
    ...(q.serial === undefined ? {} : { serialNumber: q.serial }),
    ...(q.guid === undefined ? {} : { guid: guidParam(q.guid) }),
    ...(q.tag === undefined ? {} : { tag: q.tag }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

export const voucherSchema = {
  type: 'object',
  properties: {
    guid: { type: 'string' },
    serialNumber: { type: 'string' },
    deviceInfo: { type: 'string' },
    tag: { type: ['string', 'null'] },
    deviceKeyType: { type: 'string' },
    deviceCertSha256: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    entries: { type: 'integer', description: '0 while the manufacturer owns the voucher' },
    ownerKeySha256: { type: ['string', 'null'], description: "SHA-256 of the current owner's SPKI once extended" },
    extendedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['guid', 'serialNumber', 'deviceInfo', 'tag', 'deviceKeyType', 'deviceCertSha256', 'createdAt', 'entries'],
} as const;

export interface VoucherJson {
  guid: string;
  serialNumber: string;
  deviceInfo: string;
  tag: string | null;
  deviceKeyType: string;
  deviceCertSha256: string;
  createdAt: string;
  entries: number;
  ownerKeySha256: string | null;
  extendedAt: string | null;
}

export function voucherJson(r: VoucherRecord): VoucherJson {
  let keyType: string;
  try {
    keyType = pkTypeName(r.deviceKeyType as PkType);
  } catch {
    keyType = String(r.deviceKeyType);
  }
  return {
    guid: r.guid,
    serialNumber: r.serialNumber,
    deviceInfo: r.deviceInfo,
    tag: r.tag,
    deviceKeyType: keyType,
    deviceCertSha256: r.deviceCertSha256,
    createdAt: r.createdAt.toISOString(),
    entries: r.entryCount,
    ownerKeySha256: r.ownerKeySha256,
    extendedAt: r.extendedAt?.toISOString() ?? null,
  };
}
