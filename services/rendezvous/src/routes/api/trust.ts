/**
 * Trust-list management: allow-listed owner keys, manufacturer keys and device CAs (a list with entries is
 * enforced at TO0), and the GUID deny-list. Entries from the trust file are shown but changed only there.
 * Changes need the `admin` scope.
 */
import { formatGuid, parseGuid } from '@fdo/protocol';
import type { FastifyInstance } from 'fastify';
import { TRUST_LISTS, type TrustList, type TrustStore } from '../../store/trust.js';
import { publicKeyFromPem, spkiFingerprint, type TrustFile } from '../../trust-file.js';
import { errorReplySchema, guidParam, noContentResponse, nullableText, timestamp } from './schemas.js';

const listParam = {
  type: 'object',
  properties: { list: { type: 'string', enum: [...TRUST_LISTS] } },
  required: ['list'],
} as const;

const keyEntry = {
  type: 'object',
  properties: {
    fingerprint: { type: 'string' },
    label: nullableText,
    source: { type: 'string', enum: ['database', 'file'] },
    createdAt: { ...timestamp, type: ['string', 'null'] },
  },
  required: ['fingerprint', 'source'],
} as const;

const deniedEntry = {
  type: 'object',
  properties: {
    guid: { type: 'string' },
    reason: nullableText,
    source: { type: 'string', enum: ['database', 'file'] },
    createdAt: { ...timestamp, type: ['string', 'null'] },
  },
  required: ['guid', 'source'],
} as const;

export interface TrustRoutesOptions {
  trust: TrustStore;
  trustFile: TrustFile;
}

export async function trustRoutes(api: FastifyInstance, o: TrustRoutesOptions): Promise<void> {
  api.get<{ Params: { list: TrustList } }>(
    '/trust/:list',
    {
      schema: {
        params: listParam,
        response: {
          200: {
            type: 'object',
            properties: {
              list: { type: 'string' },
              enforced: { type: 'boolean' },
              entries: { type: 'array', items: keyEntry },
            },
            required: ['list', 'enforced', 'entries'],
          },
        },
      },
    },
    async (request) => {
      const { list } = request.params;
      const stored = await o.trust.keys(list);
      const entries = [
        ...o.trustFile.keys[list].map((k) => ({
          fingerprint: k.fingerprint,
          label: null,
          source: 'file',
          createdAt: null,
        })),
        ...stored.map((k) => ({
          fingerprint: k.fingerprint,
          label: k.label,
          source: 'database',
          createdAt: k.createdAt,
        })),
      ];
      return { list, enforced: entries.length > 0, entries };
    },
  );

  api.post<{ Params: { list: TrustList }; Body: { pem: string; label?: string } }>(
    '/trust/:list',
    {
      config: { scope: 'admin' },
      schema: {
        params: listParam,
        body: {
          type: 'object',
          properties: {
            pem: { type: 'string', description: 'a PEM public key or certificate' },
            label: { type: 'string', maxLength: 200 },
          },
          required: ['pem'],
          additionalProperties: false,
        },
        response: { 201: keyEntry, 400: errorReplySchema },
      },
    },
    async (request, reply) => {
      let spki: Uint8Array;
      try {
        spki = publicKeyFromPem(request.body.pem);
      } catch (err) {
        return reply.code(400).send({ error: 'invalid_key', message: `pem: ${(err as Error).message}` });
      }
      const entry = await o.trust.add(request.params.list, spkiFingerprint(spki), spki, request.body.label ?? null);
      return reply.code(201).send({ ...entry, source: 'database' });
    },
  );

  api.delete<{ Params: { list: TrustList; fingerprint: string } }>(
    '/trust/:list/:fingerprint',
    {
      config: { scope: 'admin' },
      schema: {
        params: {
          type: 'object',
          properties: { ...listParam.properties, fingerprint: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
          required: ['list', 'fingerprint'],
        },
        response: { 204: noContentResponse, 404: errorReplySchema, 409: errorReplySchema },
      },
    },
    async (request, reply) => {
      const { list } = request.params;
      const fingerprint = request.params.fingerprint.toLowerCase();
      if (await o.trust.remove(list, fingerprint)) return reply.code(204).send();
      if (o.trustFile.keys[list].some((k) => k.fingerprint === fingerprint)) {
        return reply.code(409).send({
          error: 'in_trust_file',
          message: `key ${fingerprint} comes from FDO_RV_TRUST_FILE; remove it there`,
        });
      }
      return reply.code(404).send({ error: 'not_found', message: `no key ${fingerprint} on the ${list} list` });
    },
  );

  api.get('/deny-list', { schema: { response: { 200: { type: 'array', items: deniedEntry } } } }, async () => [
    ...[...o.trustFile.deniedGuids].map((guid) => ({ guid, reason: null, source: 'file', createdAt: null })),
    ...(await o.trust.denied()).map((d) => ({ ...d, source: 'database' })),
  ]);

  api.put<{ Params: { guid: string }; Body: { reason?: string } | undefined }>(
    '/deny-list/:guid',
    {
      config: { scope: 'admin' },
      schema: {
        params: guidParam,
        body: {
          type: 'object',
          properties: { reason: { type: 'string', maxLength: 500 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { ...deniedEntry.properties, removedRegistration: { type: 'boolean' } },
            required: ['guid', 'source', 'removedRegistration'],
          },
        },
      },
    },
    async (request) => {
      const guid = formatGuid(parseGuid(request.params.guid));
      const { entry, removedRegistration } = await o.trust.deny(guid, request.body?.reason ?? null);
      return { ...entry, source: 'database', removedRegistration };
    },
  );

  api.delete<{ Params: { guid: string } }>(
    '/deny-list/:guid',
    {
      config: { scope: 'admin' },
      schema: { params: guidParam, response: { 204: noContentResponse, 404: errorReplySchema, 409: errorReplySchema } },
    },
    async (request, reply) => {
      const guid = formatGuid(parseGuid(request.params.guid));
      if (await o.trust.allow(guid)) return reply.code(204).send();
      if (o.trustFile.deniedGuids.has(guid)) {
        return reply
          .code(409)
          .send({ error: 'in_trust_file', message: `GUID ${guid} is denied by FDO_RV_TRUST_FILE; remove it there` });
      }
      return reply.code(404).send({ error: 'not_found', message: `GUID ${guid} is not on the deny-list` });
    },
  );
}
