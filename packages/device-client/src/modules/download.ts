/**
 * fdo.download, device side (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.download.md):
 * each file is written to a temporary file in the download directory and renamed into place only
 * when complete and, if the owner sent one, its SHA-384 matches. `done` reports the length, or -1
 * for a hash mismatch, a write error, or a name outside the directory (refused before any write).
 * Both modes of the page: length-prefix (done when `length` bytes arrived) and streaming (done at
 * an empty data block).
 */
import { createHash, type Hash } from 'node:crypto';
import { Download, type DeviceServiceInfoModule, type ServiceInfoMessage } from '@fdo/protocol/serviceinfo';
import { read } from '@fdo/protocol/cbor';
import { AtomicFile, resolveInside } from './files.js';

export interface DownloadDeviceOptions {
  /**
   * Where files land; names resolve inside it and may not leave it. A function is asked at each
   * file (a credential profile's directory while fdo-platform.profile names one).
   */
  dir: string | (() => string);
  /** Largest file accepted (a larger length is refused with -1). Default 1 GiB. */
  maxBytes?: number;
}

export interface DownloadDeviceResult {
  name: string;
  path: string | null;
  length: number;
  /** Why the file was refused, or null when written. */
  error: string | null;
}

interface Transfer {
  name: string;
  path: string | null;
  length: number | null;
  sha384: Uint8Array | null;
  written: number;
  hash: Hash;
  file: AtomicFile | null;
  error: string | null;
}

export function downloadDevice(options: DownloadDeviceOptions): DeviceServiceInfoModule {
  const maxBytes = options.maxBytes ?? 2 ** 30;
  const results: DownloadDeviceResult[] = [];
  let t: Transfer | null = null;

  const fail = async (cur: Transfer, error: string) => {
    cur.error ??= error;
    await cur.file?.abort();
    cur.file = null;
  };

  async function finish(cur: Transfer): Promise<ServiceInfoMessage[]> {
    t = null;
    if (cur.error === null && cur.length !== null && cur.written !== cur.length) {
      await fail(cur, `${cur.written} bytes received, ${cur.length} announced`);
    }
    if (cur.error === null && cur.sha384 !== null && !cur.hash.digest().equals(cur.sha384)) {
      await fail(cur, 'SHA-384 mismatch');
    }
    if (cur.error === null) {
      try {
        if (cur.file === null) cur.file = await AtomicFile.create(cur.path!); // an empty file
        await cur.file.commit();
      } catch (err) {
        await fail(cur, `cannot write: ${(err as Error).message}`);
      }
    }
    results.push({ name: cur.name, path: cur.path, length: cur.written, error: cur.error });
    return [{ message: Download.done, value: cur.error === null ? cur.written : Download.failed }];
  }

  async function data(cur: Transfer, block: Uint8Array): Promise<ServiceInfoMessage[]> {
    if (block.length === 0 && cur.length === null) return finish(cur); // streaming mode: end of file
    cur.written += block.length;
    if (cur.written > (cur.length ?? maxBytes)) await fail(cur, `more than ${cur.length ?? maxBytes} bytes`);
    if (cur.error === null) {
      try {
        cur.file ??= await AtomicFile.create(cur.path!);
        await cur.file.write(block);
        cur.hash.update(block);
      } catch (err) {
        await fail(cur, `cannot write: ${(err as Error).message}`);
      }
    }
    return cur.length !== null && cur.written >= cur.length ? finish(cur) : [];
  }

  return {
    name: Download.module,
    async activate() {
      if (t !== null) await fail(t, 'module deactivated');
      t = null;
    },
    async receive(message, value) {
      if (message === Download.name) {
        if (t !== null) await fail(t, 'a new file started before this one ended');
        const name = read.text(value, 'fdo.download:name');
        const path = resolveInside(typeof options.dir === 'function' ? options.dir() : options.dir, name);
        t = { name, path, length: null, sha384: null, written: 0, hash: createHash('sha384'), file: null, error: null };
        if (path === null) t.error = `${name} is outside the download directory`;
        return;
      }
      if (t === null) return; // length, sha-384 or data without a name: nothing to write to
      const cur: Transfer = t;
      switch (message) {
        case Download.length:
          cur.length = read.int(value, 'fdo.download:length');
          if (cur.length < 0 || cur.length > maxBytes) await fail(cur, `length ${cur.length} not accepted`);
          return;
        case Download.sha384:
          cur.sha384 = read.bytes(value, 'fdo.download:sha-384', 48);
          return;
        case Download.data:
          return data(cur, read.bytes(value, 'fdo.download:data'));
        default:
          return;
      }
    },
    result: () => results,
  };
}
