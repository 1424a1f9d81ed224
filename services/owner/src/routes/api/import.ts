/**
 * `POST /vouchers` (scope write): imports one PEM voucher, a PEM bundle (the interop format's trailing
 * private key is ignored) or one CBOR voucher (`application/cbor`). The body is read as a stream: PEM
 * blocks are split as they arrive and stored in batches, so a bundle of 100,000 vouchers never sits in
 * memory. `?tag=` (repeatable) tags every imported voucher; `?details=problems` lists only rejections.
 * The reply counts imported, duplicate and rejected vouchers and says per voucher what happened.
 */
import type { Readable } from 'node:stream';
import { errorReplySchema, fileResponse } from '@fdo/server-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VoucherImporter } from '../../import/importer.js';
import { pemBlocksOf } from '../../import/pem-stream.js';
import { ApiError, TAG_SCHEMA, type ApiDeps } from './common.js';

/** The largest CBOR upload: one voucher (a voucher is a few KiB; 1 MiB is generous). */
const MAX_CBOR_BYTES = 1024 * 1024;

interface ImportQuery {
  tag?: string[];
  details?: 'all' | 'problems';
}

/** The request body as chunks, failing with 413 once `limit` bytes have passed. */
async function* limited(stream: Readable, limit: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      throw new ApiError(
        413,
        'payload_too_large',
        `the upload exceeds ${limit} bytes (FDO_OWNER_IMPORT_MAX_BYTES); vouchers before that point were stored — split the bundle and import the rest (already imported vouchers count as duplicates)`,
      );
    }
    yield chunk;
  }
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

const resultSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    guid: { type: ['string', 'null'] },
    result: { type: 'string', enum: ['imported', 'duplicate', 'rejected'] },
    reason: { type: 'string' },
  },
  required: ['index', 'guid', 'result'],
} as const;

function isCbor(request: FastifyRequest): boolean {
  return /^application\/cbor\b/i.test(request.headers['content-type'] ?? '');
}

export async function importRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  // The body must reach the handler as a stream: no buffering parser in this context.
  api.removeAllContentTypeParsers();
  api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  api.post<{ Querystring: ImportQuery; Body: Readable }>(
    '/vouchers',
    {
      bodyLimit: deps.importMaxBytes,
      config: {
        scope: 'write',
        documentedBody: fileResponse('PEM vouchers (one or a bundle; streamed), or one voucher as CBOR', {
          'application/x-pem-file': 'text',
          'application/cbor': 'binary',
        }),
      },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tag: { type: 'array', items: TAG_SCHEMA, maxItems: 32 },
            details: { type: 'string', enum: ['all', 'problems'], default: 'all' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              imported: { type: 'integer' },
              duplicate: { type: 'integer' },
              rejected: { type: 'integer' },
              results: { type: 'array', items: resultSchema },
            },
            required: ['imported', 'duplicate', 'rejected', 'results'],
          },
          400: errorReplySchema,
          413: errorReplySchema,
        },
      },
    },
    async (request) => {
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (declared > deps.importMaxBytes) {
        throw new ApiError(
          413,
          'payload_too_large',
          `the upload of ${declared} bytes exceeds ${deps.importMaxBytes} bytes (FDO_OWNER_IMPORT_MAX_BYTES); split it`,
        );
      }
      const importer = new VoucherImporter({
        store: deps.vouchers,
        keys: deps.keys,
        deviceCas: deps.deviceCas,
        tags: [...new Set(request.query.tag ?? [])],
        details: request.query.details ?? 'all',
        now: deps.now,
      });
      const body = request.body as Readable | undefined;
      if (body === undefined || body === null)
        throw new ApiError(
          400,
          'invalid_request',
          'the body is empty: send a PEM voucher or bundle, or a CBOR voucher',
        );
      if (isCbor(request)) {
        await importer.addVoucher(await readAll(limited(body, Math.min(deps.importMaxBytes, MAX_CBOR_BYTES))));
      } else {
        await importer.addPem(pemBlocksOf(limited(body, deps.importMaxBytes)));
      }
      const summary = await importer.finish();
      if (importer.count === 0) {
        throw new ApiError(
          400,
          'no_voucher',
          'the body holds no OWNERSHIP VOUCHER block: send PEM vouchers, or one voucher as application/cbor',
        );
      }
      request.log.info(
        { imported: summary.imported, duplicate: summary.duplicate, rejected: summary.rejected },
        'voucher import',
      );
      for (const result of ['imported', 'duplicate', 'rejected'] as const) {
        deps.metrics.vouchersImported.inc({ result }, summary[result]);
      }
      if (summary.imported > 0) deps.wakeScheduler();
      return summary;
    },
  );
}
