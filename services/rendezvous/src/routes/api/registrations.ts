/**
 * Registration lookups for operators and support: a GUID's state (registered until when, by which
 * owner key; never the voucher nor the to1d), counts, and removal.
 */
import { formatGuid, parseGuid } from '@fdo/protocol';
import type { FastifyInstance } from 'fastify';
import type { RendezvousStore } from '../../store/registrations.js';
import type { TrustStore } from '../../store/trust.js';
import type { TrustFile } from '../../trust-file.js';
import { errorReplySchema, guidParam, noContentResponse, nullableText, timestamp } from './schemas.js';

const registrationState = {
  type: 'object',
  properties: {
    guid: { type: 'string' },
    state: { type: 'string', enum: ['registered', 'expired', 'none'] },
    denied: { type: 'boolean' },
    ownerKeyFingerprint: nullableText,
    registeredAt: { ...timestamp, type: ['string', 'null'] },
    expiresAt: { ...timestamp, type: ['string', 'null'] },
    waitSeconds: { type: ['integer', 'null'] },
    voucherHeaderHash: nullableText,
    voucherEntryHash: nullableText,
  },
  required: ['guid', 'state', 'denied'],
} as const;

export interface RegistrationRoutesOptions {
  registrations: RendezvousStore;
  trust: TrustStore;
  trustFile: TrustFile;
  now: () => number;
}

export async function registrationRoutes(api: FastifyInstance, o: RegistrationRoutesOptions): Promise<void> {
  api.get<{ Params: { guid: string } }>(
    '/registrations/:guid',
    { schema: { params: guidParam, response: { 200: registrationState, 400: errorReplySchema } } },
    async (request) => {
      const guid = formatGuid(parseGuid(request.params.guid));
      const [status, denied] = await Promise.all([o.registrations.status(guid), o.trust.isDenied(guid)]);
      const isDenied = denied || o.trustFile.deniedGuids.has(guid);
      if (status === null) return { guid, state: 'none', denied: isDenied };
      const state = status.expiresAt.getTime() > o.now() ? 'registered' : 'expired';
      return { ...status, state, denied: isDenied };
    },
  );

  api.delete<{ Params: { guid: string } }>(
    '/registrations/:guid',
    { schema: { params: guidParam, response: { 204: noContentResponse, 404: errorReplySchema } } },
    async (request, reply) => {
      const guid = formatGuid(parseGuid(request.params.guid));
      if (!(await o.registrations.remove(guid))) {
        return reply.code(404).send({ error: 'not_found', message: `no registration for GUID ${guid}` });
      }
      return reply.code(204).send();
    },
  );

  api.get(
    '/stats',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              registrations: {
                type: 'object',
                properties: { total: { type: 'integer' }, active: { type: 'integer' }, expired: { type: 'integer' } },
                required: ['total', 'active', 'expired'],
              },
            },
            required: ['registrations'],
          },
        },
      },
    },
    async () => ({ registrations: await o.registrations.counts(new Date(o.now())) }),
  );
}
