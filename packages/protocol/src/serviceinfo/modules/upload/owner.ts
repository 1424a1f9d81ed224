/**
 * fdo.upload, owner side (fdo-sim fsim-repository/fdo.upload.md): asks the device for each
 * configured file (need-sha true, then name) and hands what arrives to a sink.
 *
 * ```
 * start ─▶ [need-sha, name] ─▶ length, data…, sha-384 ─▶ sink.end ─▶ next file … ─▶ done
 * ```
 * The SHA-384 of the received bytes is computed as they arrive. @NOTE The running hash lives in
 * memory: our device and go-fdo's send a whole file in one device batch, which one server call
 * handles; a file whose data spans batches on different instances ends as `unverified`.
 */
import { sha384 } from '@noble/hashes/sha2.js';
import { equal, toHex } from '../../../cbor/bytes.js';
import * as read from '../../../cbor/read.js';
import { InvalidMessageError } from '../../../errors.js';
import type { DeviceFacts, OwnerServiceInfoModule } from '../../module.js';
import { Upload } from './messages.js';

export interface UploadedFile {
  /** The device GUID. */
  guid: string;
  name: string;
}

export type UploadOutcome = 'ok' | 'sha-mismatch' | 'length-mismatch' | 'unverified';

/** Where uploaded bytes go (a directory, an object store…). Called in order for each file. */
export interface UploadSink {
  begin?(file: UploadedFile, length: number): void | Promise<void>;
  data(file: UploadedFile, chunk: Uint8Array, offset: number): void | Promise<void>;
  end(
    file: UploadedFile,
    outcome: { outcome: UploadOutcome; length: number; sha384: string | null },
  ): void | Promise<void>;
}

export interface UploadOwnerOptions {
  /** Paths on the device to fetch, in order. */
  files: readonly string[] | ((device: DeviceFacts) => readonly string[]);
  sink: UploadSink;
  /** Largest file accepted; more ends TO2. Default 16 MiB. */
  maxBytes?: number;
}

export type UploadFileResult = { name: string; length: number | null; received: number; outcome: UploadOutcome | null };

export type UploadOwnerState = { index: number; requested: boolean; files: UploadFileResult[] };

type Hasher = ReturnType<typeof sha384.create>;

export function uploadOwner(options: UploadOwnerOptions): OwnerServiceInfoModule<UploadOwnerState> {
  const maxBytes = options.maxBytes ?? 16 << 20;
  const hashers = new Map<string, Hasher>();
  const finish = async (state: UploadOwnerState, device: DeviceFacts, outcome: UploadOutcome, sha: string | null) => {
    const file = state.files[state.index]!;
    hashers.delete(`${device.guid}:${state.index}`);
    await options.sink.end({ guid: device.guid, name: file.name }, { outcome, length: file.received, sha384: sha });
    const files = state.files.map((f, i) => (i === state.index ? { ...f, outcome } : f));
    return { index: state.index + 1, requested: false, files };
  };
  return {
    name: Upload.module,
    start(device) {
      const names = typeof options.files === 'function' ? options.files(device) : options.files;
      return {
        index: 0,
        requested: false,
        files: names.map((name) => ({ name, length: null, received: 0, outcome: null })),
      };
    },
    produce(state) {
      const file = state.files[state.index];
      if (file === undefined) return { state, messages: [], done: true };
      if (state.requested) return { state, messages: [], done: false };
      return {
        state: { ...state, requested: true },
        messages: [
          { message: Upload.needSha, value: true },
          { message: Upload.name, value: file.name },
        ],
        done: false,
      };
    },
    async receive(state, { message, value }, { device }) {
      const file = state.files[state.index];
      if (file === undefined || !state.requested) throw new InvalidMessageError(`fdo.upload:${message} not requested`);
      const key = `${device.guid}:${state.index}`;
      const ref = { guid: device.guid, name: file.name };
      const update = (f: Partial<UploadFileResult>) => ({
        ...state,
        files: state.files.map((x, i) => (i === state.index ? { ...x, ...f } : x)),
      });
      switch (message) {
        case Upload.length: {
          const length = read.uint(value, 'fdo.upload:length');
          if (length > maxBytes)
            throw new InvalidMessageError(`fdo.upload: ${file.name} is ${length} bytes, over ${maxBytes}`);
          hashers.set(key, sha384.create());
          await options.sink.begin?.(ref, length);
          return update({ length, received: 0 });
        }
        case Upload.data: {
          const chunk = read.bytes(value, 'fdo.upload:data');
          if (file.length === null) throw new InvalidMessageError('fdo.upload:data before fdo.upload:length');
          const received = file.received + chunk.length;
          if (received > file.length)
            throw new InvalidMessageError(`fdo.upload: more than ${file.length} bytes of ${file.name}`);
          hashers.get(key)?.update(chunk);
          await options.sink.data(ref, chunk, file.received);
          return update({ received });
        }
        case Upload.sha384: {
          const expected = read.bytes(value, 'fdo.upload:sha-384', 48);
          if (file.length === null || file.received !== file.length) {
            return finish(update({}), device, 'length-mismatch', toHex(expected));
          }
          const hasher = file.received === 0 ? sha384.create() : hashers.get(key);
          if (hasher === undefined) return finish(state, device, 'unverified', toHex(expected));
          const ok = equal(hasher.digest(), expected);
          return finish(state, device, ok ? 'ok' : 'sha-mismatch', toHex(expected));
        }
        default:
          return state;
      }
    },
    result: (state) => state.files,
  };
}
