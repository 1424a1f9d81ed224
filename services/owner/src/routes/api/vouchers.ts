/**
 * `GET /vouchers`: vouchers in import order, filtered (guid, tag, state, import time) and paged by cursor.
 * `GET /vouchers/:guid`: one voucher as JSON, `?format=pem` or `?format=cbor`.
 * `DELETE /vouchers/:guid`, `PUT /vouchers/:guid/tags`, `PUT /vouchers/:guid/credential-reuse`, and
 * `POST /vouchers/:guid/register` (run TO0 for it now), `PUT /tags/:tag/credential-reuse`.
 */
import {
  errorReplySchema,
  noContentResponse,
  sendVoucherFile,
  voucherDownloadResponse,
  voucherFormatQuery,
} from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import type { VoucherRow } from '../../store/vouchers.js';
import {
  ApiError,
  filterOf,
  filterQueryProperties,
  guidParam,
  guidParams,
  nextCursor,
  notFound,
  pageOf,
  pageQueryProperties,
  TAG_SCHEMA,
  type ApiDeps,
  type FilterQuery,
} from './common.js';

export const voucherSchema = {
  type: 'object',
  properties: {
    guid: { type: 'string' },
    deviceInfo: { type: 'string' },
    state: { type: 'string' },
    entries: { type: 'integer' },
    ownerKeySha256: { type: 'string' },
    manufacturerKeySha256: { type: 'string' },
    importedAt: { type: 'string', format: 'date-time' },
    credentialReuse: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    transferredTo: { type: ['string', 'null'], description: "SHA-256 of the next owner's key once extended (resale)" },
  },
  required: ['guid', 'deviceInfo', 'state', 'entries', 'ownerKeySha256', 'importedAt', 'tags'],
} as const;

export function voucherJson(r: VoucherRow) {
  return {
    guid: r.guid,
    deviceInfo: r.deviceInfo,
    state: r.state,
    entries: r.entryCount,
    ownerKeySha256: r.ownerKeySha256,
    manufacturerKeySha256: r.manufacturerKeySha256,
    importedAt: r.importedAt.toISOString(),
    credentialReuse: r.credentialReuse,
    tags: r.tags,
    transferredTo: r.transferredTo,
  };
}

export async function voucherRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { vouchers } = deps;
  api.get<{ Querystring: FilterQuery & { limit?: number; cursor?: string } }>(
    '/vouchers',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterQueryProperties, ...pageQueryProperties },
        },
        response: {
          200: {
            type: 'object',
            properties: { vouchers: { type: 'array', items: voucherSchema }, nextCursor: { type: ['string', 'null'] } },
            required: ['vouchers', 'nextCursor'],
          },
          400: errorReplySchema,
        },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const rows = await vouchers.list(filterOf(request.query), page);
      return { vouchers: rows.map(voucherJson), nextCursor: nextCursor(rows, page.limit) };
    },
  );

  api.get<{ Params: { guid: string }; Querystring: { format?: 'json' | 'pem' | 'cbor' } }>(
    '/vouchers/:guid',
    {
      schema: {
        params: guidParams,
        querystring: voucherFormatQuery,
        response: { 200: voucherDownloadResponse(voucherSchema), 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (request, reply) => {
      const guid = guidParam(request.params.guid);
      const row = await vouchers.find(guid);
      if (row === null) throw notFound(guid);
      const format = request.query.format ?? 'json';
      return format === 'json' ? voucherJson(row) : sendVoucherFile(reply, guid, row.voucher, format);
    },
  );

  api.delete<{ Params: { guid: string } }>(
    '/vouchers/:guid',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        response: { 204: noContentResponse, 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (request, reply) => {
      const guid = guidParam(request.params.guid);
      if (!(await vouchers.delete(guid))) throw notFound(guid);
      return reply.code(204).send();
    },
  );

  api.put<{ Params: { guid: string }; Body: { tags: string[] } }>(
    '/vouchers/:guid/tags',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { tags: { type: 'array', items: TAG_SCHEMA, maxItems: 32 } },
          required: ['tags'],
        },
        response: { 200: voucherSchema, 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      if (!(await vouchers.setTags(guid, request.body.tags, new Date(deps.now())))) throw notFound(guid);
      return voucherJson((await vouchers.find(guid))!);
    },
  );

  api.put<{ Params: { guid: string }; Body: { enabled: boolean } }>(
    '/vouchers/:guid/credential-reuse',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' } },
          required: ['enabled'],
        },
        response: { 200: voucherSchema, 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      if (!(await vouchers.setCredentialReuse(guid, request.body.enabled, new Date(deps.now())))) throw notFound(guid);
      return voucherJson((await vouchers.find(guid))!);
    },
  );

  api.put<{ Params: { tag: string }; Body: { enabled: boolean } }>(
    '/tags/:tag/credential-reuse',
    {
      config: { scope: 'write' },
      schema: {
        params: { type: 'object', properties: { tag: TAG_SCHEMA }, required: ['tag'] },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' } },
          required: ['enabled'],
        },
        response: {
          200: {
            type: 'object',
            properties: { tag: { type: 'string' }, enabled: { type: 'boolean' }, vouchers: { type: 'integer' } },
            required: ['tag', 'enabled', 'vouchers'],
          },
          400: errorReplySchema,
        },
      },
    },
    async (request) => {
      const { tag } = request.params;
      const { enabled } = request.body;
      const count = await vouchers.setCredentialReuseByTag(tag, enabled, new Date(deps.now()));
      return { tag, enabled, vouchers: count };
    },
  );

  api.post<{ Params: { guid: string } }>(
    '/vouchers/:guid/register',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        response: {
          202: {
            type: 'object',
            properties: { guid: { type: 'string' }, rendezvous: { type: 'integer' } },
            required: ['guid', 'rendezvous'],
          },
          400: errorReplySchema,
          404: errorReplySchema,
          409: errorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const guid = guidParam(request.params.guid);
      const row = await vouchers.find(guid);
      if (row?.transferredTo != null) {
        throw new ApiError(409, 'transferred', `voucher ${guid} was extended to another owner; it registers there now`);
      }
      const count = await deps.registrations.dueNow(guid, new Date(deps.now()));
      if (count === null) throw notFound(guid);
      if (count === 0) {
        throw new ApiError(
          409,
          'no_rendezvous',
          `voucher ${guid} names no rendezvous server the owner can use (its RV info has only device-side directives or none)`,
        );
      }
      deps.wakeScheduler();
      return reply.code(202).send({ guid, rendezvous: count });
    },
  );
}
