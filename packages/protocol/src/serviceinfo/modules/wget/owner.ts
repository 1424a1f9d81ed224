/**
 * fdo.wget, owner side (fdo-sim fsim-repository/fdo.wget.md): asks the device to fetch each
 * configured URL, one at a time, and records `done` (length) or `error` (reason).
 *
 * ```
 * start ─▶ [sha-384?, name?, url] ─▶ done | error ─▶ next … ─▶ done
 * ```
 */
import { toHex } from '../../../cbor/bytes.js';
import * as read from '../../../cbor/read.js';
import { InvalidMessageError } from '../../../errors.js';
import type { DeviceFacts, OwnerServiceInfoModule, ServiceInfoMessage } from '../../module.js';
import { Wget } from './messages.js';

export interface WgetItem {
  url: string;
  /** Where the device stores the file; default the last segment of the URL path. */
  name?: string;
  /** The file's SHA-384 (48 bytes); strongly advised: the URL is fetched outside the FDO tunnel. */
  sha384?: Uint8Array;
  /** End TO2 when the device reports an error. Default false. */
  required?: boolean;
}

export interface WgetOwnerOptions {
  files: readonly WgetItem[] | ((device: DeviceFacts) => readonly WgetItem[]);
}

export type WgetFileResult = {
  url: string;
  name: string | null;
  sha384: string | null;
  length: number | null;
  error: string | null;
};

export type WgetOwnerState = { index: number; sent: boolean; files: WgetFileResult[] };

export function wgetOwner(options: WgetOwnerOptions): OwnerServiceInfoModule<WgetOwnerState> {
  const items = (device: DeviceFacts) => (typeof options.files === 'function' ? options.files(device) : options.files);
  return {
    name: Wget.module,
    start(device) {
      const files = items(device).map((f) => {
        if (f.sha384 !== undefined && f.sha384.length !== 48)
          throw new RangeError(`fdo.wget: ${f.url}: SHA-384 is 48 bytes`);
        return {
          url: f.url,
          name: f.name ?? null,
          sha384: f.sha384 === undefined ? null : toHex(f.sha384),
          length: null,
          error: null,
        };
      });
      return { index: 0, sent: false, files };
    },
    produce(state) {
      const file = state.files[state.index];
      if (file === undefined) return { state, messages: [], done: true };
      if (state.sent) return { state, messages: [], done: false };
      const messages: ServiceInfoMessage[] = [];
      if (file.sha384 !== null) messages.push({ message: Wget.sha384, value: Buffer.from(file.sha384, 'hex') });
      if (file.name !== null) messages.push({ message: Wget.name, value: file.name });
      messages.push({ message: Wget.url, value: file.url });
      return { state: { ...state, sent: true }, messages, done: false };
    },
    receive(state, { message, value }, { device }) {
      if (message !== Wget.done && message !== Wget.error) return state;
      const file = state.files[state.index];
      if (file === undefined || !state.sent)
        throw new InvalidMessageError(`fdo.wget:${message} with no transfer running`);
      const outcome =
        message === Wget.done
          ? { length: read.int(value, 'fdo.wget:done') }
          : { error: read.text(value, 'fdo.wget:error') };
      if (message === Wget.error && items(device)[state.index]?.required === true) {
        throw new InvalidMessageError(`fdo.wget: the device could not fetch ${file.url}: ${String(value)}`);
      }
      const files = state.files.map((f, i) => (i === state.index ? { ...f, ...outcome } : f));
      return { index: state.index + 1, sent: false, files };
    },
    result: (state) => state.files,
  };
}
