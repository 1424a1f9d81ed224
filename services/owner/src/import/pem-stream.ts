/**
 * Splits a PEM text arriving in chunks into its blocks, as they complete, holding at most one
 * incomplete block in memory. Blocks are `-----BEGIN X-----` … `-----END X-----` (RFC 7468); text
 * between blocks is ignored. A block left open at the end is reported as truncated.
 */
import { StringDecoder } from 'node:string_decoder';

export type PemItem =
  { kind: 'block'; label: string; der: Uint8Array } | { kind: 'malformed'; label: string; reason: string };

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/;
/** Longest text kept while looking for a BEGIN line in junk (a label is short). */
const MAX_SEEK = 256;
/** A single voucher above this is not a voucher (a voucher is a few KiB; the FDO message limit is 64 KiB). */
export const MAX_PEM_BLOCK_CHARS = 1024 * 1024;

function decodeBody(label: string, body: string): PemItem {
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return { kind: 'malformed', label, reason: `the ${label} block is not valid base64` };
  }
  return { kind: 'block', label, der: new Uint8Array(Buffer.from(b64, 'base64')) };
}

/** Yields each PEM block of `chunks` (bytes, UTF-8) as soon as its END line has arrived. */
export async function* pemBlocksOf(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<PemItem> {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  let open: { label: string; end: string } | null = null;
  const scan = function* (final: boolean): Generator<PemItem> {
    for (;;) {
      if (open === null) {
        const m = BEGIN.exec(buf);
        if (m === null) {
          if (buf.length > MAX_SEEK) buf = buf.slice(-MAX_SEEK);
          return;
        }
        open = { label: m[1]!, end: `-----END ${m[1]!}-----` };
        buf = buf.slice(m.index + m[0].length);
      }
      const at = buf.indexOf(open.end);
      if (at === -1) {
        if (buf.length > MAX_PEM_BLOCK_CHARS) {
          yield { kind: 'malformed', label: open.label, reason: `the ${open.label} block is larger than 1 MiB` };
          open = null;
          buf = '';
        } else if (final) {
          yield {
            kind: 'malformed',
            label: open.label,
            reason: `the ${open.label} block has no END line (truncated?)`,
          };
        }
        return;
      }
      yield decodeBody(open.label, buf.slice(0, at));
      buf = buf.slice(at + open.end.length);
      open = null;
    }
  };
  for await (const chunk of chunks) {
    buf +=
      typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    yield* scan(false);
  }
  buf += decoder.end();
  yield* scan(true);
}
