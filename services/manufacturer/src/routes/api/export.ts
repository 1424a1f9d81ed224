/**
 * Bulk exports, streamed a page at a time (a batch can hold millions of vouchers):
 * - `GET /vouchers/export`: one PEM bundle of `OWNERSHIP VOUCHER` blocks, never a private key;
 * - `GET /manifest?format=csv|json`: GUID, serial number, device info, device-certificate fingerprint,
 *   tag and creation time, like the manifests chip vendors ship with reels.
 */
import { Readable } from 'node:stream';
import { toPem, VOUCHER_PEM_LABEL } from '@fdo/protocol';
import { errorReplySchema, fileResponse } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import type { VoucherFilter, VoucherRecord, VoucherStore } from '../../store/voucher-store.js';
import { filterOf, filterQueryProperties, type ApiDeps, type FilterQuery } from './common.js';

const MANIFEST_COLUMNS = ['guid', 'serial_number', 'device_info', 'device_cert_sha256', 'tag', 'created_at'] as const;

function manifestRow(r: VoucherRecord): Record<(typeof MANIFEST_COLUMNS)[number], string | null> {
  return {
    guid: r.guid,
    serial_number: r.serialNumber,
    device_info: r.deviceInfo,
    device_cert_sha256: r.deviceCertSha256,
    tag: r.tag,
    created_at: r.createdAt.toISOString(),
  };
}

/**
 * One CSV field (RFC 4180): always quoted. Device-supplied text starting with = + - @ or a tab is
 * prefixed with ' so a spreadsheet shows it rather than evaluating it (OWASP "CSV injection").
 */
export function csvField(value: string | null): string {
  const v = value ?? '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

async function* lines(
  store: VoucherStore,
  filter: VoucherFilter,
  head: string,
  line: (r: VoucherRecord, first: boolean) => string,
  tail: string,
): AsyncGenerator<string> {
  yield head;
  let first = true;
  for await (const r of store.iterateVouchers(filter)) {
    yield line(r, first);
    first = false;
  }
  yield tail;
}

const filterQuery = { type: 'object', additionalProperties: false, properties: filterQueryProperties } as const;

export async function exportRoutes(api: FastifyInstance, { store }: ApiDeps): Promise<void> {
  api.get<{ Querystring: FilterQuery }>(
    '/vouchers/export',
    {
      schema: {
        querystring: filterQuery,
        response: {
          200: fileResponse('one PEM bundle of OWNERSHIP VOUCHER blocks, streamed (never a private key)', {
            'application/x-pem-file': 'text',
          }),
          400: errorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.query);
      const pem = lines(store, filter, '', (r) => toPem(VOUCHER_PEM_LABEL, r.voucher), '');
      return reply
        .type('application/x-pem-file')
        .header('Content-Disposition', 'attachment; filename="vouchers.pem"')
        .send(Readable.from(pem));
    },
  );

  api.get<{ Querystring: FilterQuery & { format?: 'csv' | 'json' } }>(
    '/manifest',
    {
      schema: {
        querystring: {
          ...filterQuery,
          properties: { ...filterQueryProperties, format: { type: 'string', enum: ['csv', 'json'], default: 'csv' } },
        },
        response: {
          200: fileResponse('guid, serial_number, device_info, device_cert_sha256, tag, created_at per voucher', {
            'text/csv': 'text',
            'application/json': 'text',
          }),
          400: errorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.query);
      if (request.query.format === 'json') {
        const json = lines(
          store,
          filter,
          '[',
          (r, first) => `${first ? '\n' : ',\n'}${JSON.stringify(manifestRow(r))}`,
          '\n]\n',
        );
        return reply
          .type('application/json')
          .header('Content-Disposition', 'attachment; filename="manifest.json"')
          .send(Readable.from(json));
      }
      const header = `${MANIFEST_COLUMNS.join(',')}\r\n`;
      const row = (r: VoucherRecord) => `${Object.values(manifestRow(r)).map(csvField).join(',')}\r\n`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="manifest.csv"')
        .send(Readable.from(lines(store, filter, header, row, '')));
    },
  );
}
