/**
 * Resale (FDO 1.1 §2.7): `POST /vouchers/:guid/extend` extends a voucher this owner holds to the next
 * owner's key (body: its PEM PUBLIC KEY or CERTIFICATE), signing the new entry with our key. For an
 * onboarded device that is the voucher TO2 left (the replacement voucher, already extended to us), so
 * the device, once reset, onboards to the next owner. The extended voucher is then what
 * `GET /vouchers/:guid?format=pem` returns, and TO0 and TO2 stop here.
 *
 * A voucher is extended once: the same key again returns the same voucher, another key is refused
 * (409): two extensions to different owners would sell one device twice.
 */
import { extendVoucher, keyClass, nodeCrypto, OwnershipVoucher } from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import { errorReplySchema, ownerKeyParam, ownerKeyProperty } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import { ApiError, guidParam, guidParams, notFound, type ApiDeps } from './common.js';
import { voucherJson, voucherSchema } from './vouchers.js';

export async function resaleRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  api.post<{ Params: { guid: string }; Body: { ownerKey: string } }>(
    '/vouchers/:guid/extend',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ownerKey: ownerKeyProperty,
          },
          required: ['ownerKey'],
        },
        response: { 200: voucherSchema, 400: errorReplySchema, 404: errorReplySchema, 409: errorReplySchema },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      const next = ownerKeyParam(request.body.ownerKey);
      const nextSha = fingerprint(next.toDer().spki);
      const row = await deps.vouchers.find(guid);
      if (row === null) throw notFound(guid);
      if (row.transferredTo !== null) {
        if (row.transferredTo === nextSha) return voucherJson(row);
        throw new ApiError(
          409,
          'already_transferred',
          `voucher ${guid} was already extended to another owner (key SHA-256 ${row.transferredTo}) at ${row.transferredAt!.toISOString()}; extending it again would sell the device twice`,
        );
      }
      const voucher = OwnershipVoucher.decode(row.voucher);
      const ours = deps.keys.find(voucher.ownerPublicKey);
      if (ours === undefined) {
        throw new ApiError(409, 'not_owner', `voucher ${guid} is not extended to a key this owner holds`);
      }
      if (ours.sha256 === nextSha) {
        throw new ApiError(400, 'same_owner', "ownerKey is this owner's own key; give the next owner's key");
      }
      if (keyClass(next) !== keyClass(voucher.header.publicKey)) {
        throw new ApiError(
          400,
          'key_type_mismatch',
          `voucher ${guid} holds ${keyClass(voucher.header.publicKey)} keys; the next owner's key is ${keyClass(next)} (FDO 1.1 §3.4.2: one key type per voucher)`,
        );
      }
      const extended = extendVoucher(nodeCrypto, voucher, ours.privateKey, next);
      const stored = await deps.vouchers.transfer(
        guid,
        row.voucher,
        { voucher: extended.encode(), entryCount: extended.entries.length, ownerSha256: nextSha },
        new Date(deps.now()),
      );
      if (!stored) {
        throw new ApiError(409, 'changed', `voucher ${guid} changed while it was being extended; try again`);
      }
      return voucherJson((await deps.vouchers.find(guid))!);
    },
  );
}
