/**
 * Extending vouchers the manufacturer still owns to a customer's owner key (FDO 1.1 §2.7, §3.4.2):
 * `POST /vouchers/:guid/extend` for one, `POST /vouchers/extend` for a tag and/or creation-time range.
 * The body carries the owner's PUBLIC KEY (or CERTIFICATE) PEM; the manufacturer signs the new entry
 * with its own key and never needs the customer's private key. A voucher already extended is not
 * extended again: the manufacturer no longer owns it, and a second extension would fork ownership.
 */
import { keyClass, OwnershipVoucher, type PublicKey } from '@fdo/protocol';
import { errorReplySchema, ownerKeyParam, ownerKeyProperty } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import { ownerKeySha256 } from '../../owner-keys.js';
import type { VoucherRecord } from '../../store/voucher-store.js';
import {
  ApiError,
  filterOf,
  guidParam,
  notFound,
  voucherJson,
  voucherSchema,
  type ApiDeps,
  type FilterQuery,
} from './common.js';

type Outcome = 'extended' | 'already_extended' | 'key_type_mismatch' | 'changed';

/** Extends one stored voucher if the manufacturer still owns it and the key types agree. */
async function extendOne(deps: ApiDeps, row: VoucherRecord, owner: PublicKey, now: Date): Promise<Outcome> {
  if (row.entryCount > 0) return 'already_extended';
  const voucher = OwnershipVoucher.decode(row.voucher);
  if (keyClass(owner) !== keyClass(voucher.header.publicKey)) return 'key_type_mismatch';
  const extended = deps.di.extend(voucher, owner);
  const next = {
    voucher: extended.encode(),
    entryCount: extended.entries.length,
    ownerKeySha256: ownerKeySha256(owner),
  };
  return (await deps.store.replaceVoucher(row.id, row.entryCount, next, now)) ? 'extended' : 'changed';
}

/** {@link extendOne}, counted in `fdo_mfg_vouchers_extended_total`. */
async function extendCounted(deps: ApiDeps, row: VoucherRecord, owner: PublicKey, now: Date): Promise<Outcome> {
  const outcome = await extendOne(deps, row, owner, now);
  deps.metrics.vouchersExtended.inc({ result: outcome === 'changed' ? 'already_extended' : outcome });
  return outcome;
}

export async function extendRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  api.post<{ Params: { guid: string }; Body: { ownerKey: string } }>(
    '/vouchers/:guid/extend',
    {
      schema: {
        params: { type: 'object', properties: { guid: { type: 'string' } }, required: ['guid'] },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ownerKey: ownerKeyProperty },
          required: ['ownerKey'],
        },
        response: { 200: voucherSchema, 400: errorReplySchema, 404: errorReplySchema, 409: errorReplySchema },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      const owner = ownerKeyParam(request.body.ownerKey);
      const row = await deps.store.findVoucher(guid);
      if (row === null) throw notFound(guid);
      const outcome = await extendCounted(deps, row, owner, new Date());
      if (outcome === 'already_extended' || outcome === 'changed') {
        throw new ApiError(
          409,
          'already_extended',
          `voucher ${guid} is already extended to another owner; the manufacturer no longer owns it`,
        );
      }
      if (outcome === 'key_type_mismatch') {
        const mfg = OwnershipVoucher.decode(row.voucher).header.publicKey;
        throw new ApiError(
          409,
          'key_type_mismatch',
          `the owner key is ${keyClass(owner)}, but voucher ${guid} needs a ${keyClass(mfg)} key (§3.4.2: one key type per voucher)`,
        );
      }
      return voucherJson((await deps.store.findVoucher(guid))!);
    },
  );

  api.post<{ Body: Omit<FilterQuery, 'guid' | 'serial'> & { ownerKey: string } }>(
    '/vouchers/extend',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ownerKey: ownerKeyProperty,
            tag: { type: 'string', minLength: 1, maxLength: 128 },
            from: { type: 'string' },
            to: { type: 'string' },
          },
          required: ['ownerKey'],
          anyOf: [{ required: ['tag'] }, { required: ['from'] }, { required: ['to'] }],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              extended: { type: 'integer' },
              alreadyExtended: { type: 'integer' },
              keyTypeMismatch: {
                type: 'integer',
                description: 'vouchers of another key type than the owner key, left as they were',
              },
            },
            required: ['extended', 'alreadyExtended', 'keyTypeMismatch'],
          },
          400: errorReplySchema,
        },
      },
    },
    async (request) => {
      const owner = ownerKeyParam(request.body.ownerKey);
      const filter = filterOf(request.body);
      const counts = { extended: 0, alreadyExtended: 0, keyTypeMismatch: 0 };
      const now = new Date();
      for await (const row of deps.store.iterateVouchers(filter)) {
        const outcome = await extendCounted(deps, row, owner, now);
        if (outcome === 'extended') counts.extended++;
        else if (outcome === 'key_type_mismatch') counts.keyTypeMismatch++;
        else counts.alreadyExtended++;
      }
      request.log.info({ ...counts, filter: request.body.tag ?? null, owner: ownerKeySha256(owner) }, 'bulk extension');
      return counts;
    },
  );
}
