/**
 * What management routes of every service share beyond authentication: a REST error that
 * `managementApi`'s error handler turns into `{ error: code, message }`, and the parameters every
 * listing takes (a GUID, a time range).
 */
import { formatGuid, ownerKeyFromPem, parseGuid, toPem, VOUCHER_PEM_LABEL, type PublicKey } from '@fdo/protocol';
import type { FastifyReply } from 'fastify';

/** A REST error: replied as `{ error: code, message }` with `statusCode`. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A GUID from a URL or query: 32 hex digits, dashes optional; canonical form back. */
export function guidParam(text: string): string {
  try {
    return formatGuid(parseGuid(text));
  } catch {
    throw new ApiError(400, 'invalid_guid', `"${text}" is not a GUID (32 hex digits, dashes optional)`);
  }
}

function dateParam(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) {
    throw new ApiError(400, 'invalid_request', `${name}: "${text}" is not an ISO 8601 date or date-time`);
  }
  return d;
}

/** `?from=&to=` as dates (either may be absent); `from` must come before `to`. */
export function timeRangeParams(q: { from?: string; to?: string }): { from?: Date; to?: Date } {
  const from = dateParam('from', q.from);
  const to = dateParam('to', q.to);
  if (from !== undefined && to !== undefined && from >= to) {
    throw new ApiError(400, 'invalid_request', '"from" must be before "to"');
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** `?format=` of a voucher download. */
export const voucherFormatQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { format: { type: 'string', enum: ['json', 'pem', 'cbor'], default: 'json' } },
} as const;

/** A response body that is a file (PEM text, CBOR bytes, CSV…), for route schemas and the OpenAPI document. */
export function fileResponse(description: string, types: Record<string, 'text' | 'binary'>) {
  return {
    description,
    content: Object.fromEntries(
      Object.entries(types).map(([type, kind]) => [
        type,
        { schema: kind === 'text' ? { type: 'string' } : { type: 'string', format: 'binary' } },
      ]),
    ),
  };
}

/** The 200 reply of a voucher download (`?format=json|pem|cbor`): `json` is the route's JSON summary schema. */
export function voucherDownloadResponse(json: object) {
  return {
    description: 'the voucher: JSON summary (default), `?format=pem` (OWNERSHIP VOUCHER block) or `?format=cbor`',
    content: {
      'application/json': { schema: json },
      'application/x-pem-file': { schema: { type: 'string' } },
      'application/cbor': { schema: { type: 'string', format: 'binary' } },
    },
  };
}

/** The 204 reply of a route that answers with no body. */
export const noContentResponse = { description: 'done; no body', type: 'null' } as const;

/**
 * Sends a stored voucher (its CBOR bytes) as a PEM or CBOR download named after its GUID. Only the
 * voucher: a download never carries a private key.
 */
export function sendVoucherFile(reply: FastifyReply, guid: string, voucher: Uint8Array, format: 'pem' | 'cbor') {
  const [type, body] =
    format === 'pem'
      ? ['application/x-pem-file', toPem(VOUCHER_PEM_LABEL, voucher)]
      : ['application/cbor', Buffer.from(voucher.buffer, voucher.byteOffset, voucher.byteLength)];
  return reply.type(type).header('Content-Disposition', `attachment; filename="${guid}.${format}"`).send(body);
}

/** The body property carrying an owner's key (voucher extension: at the manufacturer, and resale at an owner). */
export const ownerKeyProperty = {
  type: 'string',
  minLength: 1,
  maxLength: 16384,
  description: 'PEM PUBLIC KEY or CERTIFICATE',
} as const;

/** The owner key of a request body, or 400 `invalid_owner_key` saying what is accepted. */
export function ownerKeyParam(pem: string): PublicKey {
  try {
    return ownerKeyFromPem(pem, 'ownerKey');
  } catch (err) {
    throw new ApiError(400, 'invalid_owner_key', (err as Error).message);
  }
}
