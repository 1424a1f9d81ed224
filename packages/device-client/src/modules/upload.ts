/**
 * fdo.upload, device side (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.upload.md):
 * on `name`, the file (resolved inside the configured directory) is sent as length, data blocks
 * sized to the owner's limit (at most 1014 bytes) and, after need-sha, its SHA-384.
 *
 * The page defines no error message: a name outside the directory, a missing file or one over
 * `maxBytes` ends TO2 (the device sends message 255 saying why), as go-fdo's device module does.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { read } from '@fdo/protocol/cbor';
import { InvalidMessageError } from '@fdo/protocol';
import { dataRoom, Upload, type DeviceServiceInfoModule, type ServiceInfoMessage } from '@fdo/protocol/serviceinfo';
import { resolveInside } from './files.js';

export interface UploadDeviceOptions {
  /** Files the owner may fetch live here; names resolve inside it. */
  dir: string;
  /** Largest file sent; default 16 MiB. */
  maxBytes?: number;
}

export function uploadDevice(options: UploadDeviceOptions): DeviceServiceInfoModule {
  const maxBytes = options.maxBytes ?? 16 << 20;
  let needSha = false;
  const sent: { name: string; length: number }[] = [];
  return {
    name: Upload.module,
    activate() {
      needSha = false;
    },
    async receive(message, value, { budget }) {
      if (message === Upload.needSha) {
        needSha = read.bool(value, 'fdo.upload:need-sha');
        return;
      }
      if (message !== Upload.name) return;
      const name = read.text(value, 'fdo.upload:name');
      const path = resolveInside(options.dir, name);
      if (path === null) throw new InvalidMessageError(`fdo.upload: ${name} is outside the upload directory`);
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile()) throw new InvalidMessageError(`fdo.upload: no file ${name}`);
      if (info.size > maxBytes) throw new InvalidMessageError(`fdo.upload: ${name} is over ${maxBytes} bytes`);
      const contents = await readFile(path);
      const room = Math.min(Upload.maxChunk, dataRoom(`${Upload.module}:${Upload.data}`, budget));
      const out: ServiceInfoMessage[] = [{ message: Upload.length, value: contents.length }];
      // At least one data message, empty for an empty file (the module page).
      let at = 0;
      do {
        out.push({ message: Upload.data, value: contents.subarray(at, at + room) });
        at += room;
      } while (at < contents.length);
      if (needSha) out.push({ message: Upload.sha384, value: createHash('sha384').update(contents).digest() });
      sent.push({ name, length: contents.length });
      return out;
    },
    result: () => sent,
  };
}
