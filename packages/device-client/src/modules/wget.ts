/**
 * fdo.wget, device side (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.wget.md):
 * fetches the URL with undici (http: and https:, which the page makes optional; https uses the
 * system trust store), streams it into a temporary file in the download directory with a running
 * SHA-384, and renames it into place when the hash (if the owner sent one) matches. Answers
 * `done` with the length, or `error` with the reason (bad name, HTTP status, hash mismatch, size).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { request } from 'undici';
import { read } from '@fdo/protocol/cbor';
import { Wget, type DeviceServiceInfoModule, type ServiceInfoMessage } from '@fdo/protocol/serviceinfo';
import { AtomicFile, resolveInside } from './files.js';

export interface WgetDeviceOptions {
  dir: string;
  /** Largest file accepted; default 1 GiB. */
  maxBytes?: number;
  /** Whole transfer; default 5 minutes. */
  timeoutMs?: number;
}

export interface WgetDeviceResult {
  url: string;
  path: string | null;
  length: number;
  error: string | null;
}

async function fetchTo(url: URL, file: AtomicFile, options: WgetDeviceOptions, sha384: Uint8Array | null) {
  const timeout = options.timeoutMs ?? 300_000;
  const res = await request(url, { method: 'GET', headersTimeout: timeout, bodyTimeout: timeout });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const max = options.maxBytes ?? 2 ** 30;
  const hash = createHash('sha384');
  let length = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > max) {
      res.body.destroy();
      throw new Error(`larger than ${max} bytes`);
    }
    hash.update(chunk);
    await file.write(chunk);
  }
  if (sha384 !== null && !hash.digest().equals(sha384)) throw new Error('SHA-384 mismatch');
  return length;
}

export function wgetDevice(options: WgetDeviceOptions): DeviceServiceInfoModule {
  let sha384: Uint8Array | null = null;
  let name: string | null = null;
  const results: WgetDeviceResult[] = [];

  async function wget(text: string): Promise<ServiceInfoMessage[]> {
    const wanted = { sha384, name };
    sha384 = null;
    name = null;
    let path: string | null = null;
    try {
      const url = new URL(text);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} is not supported`);
      // The page's default name: the last segment of the URL path.
      const target = wanted.name ?? decodeURIComponent(posix.basename(url.pathname));
      path = resolveInside(options.dir, target);
      if (path === null) throw new Error(`${target} is outside the download directory`);
      const file = await AtomicFile.create(path);
      try {
        const length = await fetchTo(url, file, options, wanted.sha384);
        await file.commit();
        results.push({ url: text, path, length, error: null });
        return [{ message: Wget.done, value: length }];
      } catch (err) {
        await file.abort();
        throw err;
      }
    } catch (err) {
      const error = (err as Error).message;
      results.push({ url: text, path, length: 0, error });
      return [{ message: Wget.error, value: error }];
    }
  }

  return {
    name: Wget.module,
    activate() {
      sha384 = null;
      name = null;
    },
    async receive(message, value) {
      switch (message) {
        case Wget.sha384:
          sha384 = read.bytes(value, 'fdo.wget:sha-384', 48);
          return;
        case Wget.name:
          name = read.text(value, 'fdo.wget:name');
          return;
        case Wget.url:
          return wget(read.text(value, 'fdo.wget:url'));
        default:
          return;
      }
    },
    result: () => results,
  };
}
