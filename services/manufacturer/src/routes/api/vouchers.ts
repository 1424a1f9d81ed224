/**
 * `GET /vouchers`: vouchers in creation order, filtered and paged by cursor.
 * `GET /vouchers/:guid`: one voucher, as JSON (default), `?format=pem` or `?format=cbor`.
 */
import type { FastifyInstance } from 'fastify';
import { errorReplySchema, sendVoucherFile, voucherDownloadResponse, voucherFormatQuery } from '@fdo/server-kit';
import {
  filterOf,
  filterQueryProperties,
  guidParam,
  notFound,
  voucherJson,
  voucherSchema,
  type ApiDeps,
  type FilterQuery,
} from './common.js';

const MAX_PAGE = 1000;

export async function voucherRoutes(api: FastifyInstance, { store }: ApiDeps): Promise<void> {
  api.get<{ Querystring: FilterQuery & { limit?: number; cursor?: string } }>(
    '/vouchers',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterQueryProperties,
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
            cursor: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'nextCursor of the previous page' },
          },
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
      const limit = request.query.limit ?? 100;
      const after = request.query.cursor === undefined ? undefined : Number(request.query.cursor);
      const rows = await store.listVouchers(filterOf(request.query), {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      return {
        vouchers: rows.map(voucherJson),
        nextCursor: rows.length === limit ? String(rows.at(-1)!.id) : null,
      };
    },
  );

  api.get<{ Params: { guid: string }; Querystring: { format?: 'json' | 'pem' | 'cbor' } }>(
    '/vouchers/:guid',
    {
      schema: {
        params: { type: 'object', properties: { guid: { type: 'string' } }, required: ['guid'] },
        querystring: voucherFormatQuery,
        response: { 200: voucherDownloadResponse(voucherSchema), 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (request, reply) => {
      const guid = guidParam(request.params.guid);
      const row = await store.findVoucher(guid);
      if (row === null) throw notFound(guid);
      const format = request.query.format ?? 'json';
      return format === 'json' ? voucherJson(row) : sendVoucherFile(reply, guid, row.voucher, format);
    },
  );
}
