/**
 * fdo.download, owner side (fdo-sim fsim-repository/fdo.download.md): sends each configured file
 * in length-prefix mode with its SHA-384, one data block per ServiceInfo round (sized to the
 * device's budget, at most 1014 bytes), and waits for `done` before the next file.
 *
 * ```
 * start ─▶ [name, length, sha-384, data] ─▶ data … ─▶ wait done ─▶ next file … ─▶ done
 * ```
 * The state is the file index, the offset and the results: any instance can send the next block,
 * reading it again from the configured source.
 */
import { sha384 } from '@noble/hashes/sha2.js';
import { toHex } from '../../../cbor/bytes.js';
import * as read from '../../../cbor/read.js';
import { InvalidMessageError } from '../../../errors.js';
import { dataRoom } from '../../chunk.js';
import type { DeviceFacts, OwnerServiceInfoModule, ServiceInfoMessage } from '../../module.js';
import { Download } from './messages.js';

/** File contents read on demand (a file, an object store…); `read` may be called on any instance. */
export interface DownloadSource {
  readonly length: number;
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

export interface DownloadItem {
  /** The path sent in fdo.download:name (the device resolves it in its download directory). */
  name: string;
  contents: Uint8Array | DownloadSource;
  /** End TO2 when the device reports failure (done = -1). Default false: the failure is recorded. */
  required?: boolean;
}

export interface DownloadOwnerOptions {
  /** The files to send, the same list for a device on every call (it is re-read per round). */
  files:
    readonly DownloadItem[] | ((device: DeviceFacts) => readonly DownloadItem[] | Promise<readonly DownloadItem[]>);
  /** Largest data block; default and maximum 1014 (the module page). */
  chunkSize?: number;
}

export type DownloadFileResult = {
  name: string;
  length: number;
  sha384: string;
  /** What the device reported in done: the length, or -1; null until it answers. */
  done: number | null;
};

export type DownloadOwnerState = {
  index: number;
  offset: number;
  /** Whether name/length/sha-384 of the current file were sent. */
  started: boolean;
  files: DownloadFileResult[];
};

const sourceOf = (c: Uint8Array | DownloadSource): DownloadSource =>
  c instanceof Uint8Array ? { length: c.length, read: (o, n) => c.subarray(o, o + n) } : c;

async function hashOf(source: DownloadSource): Promise<string> {
  const h = sha384.create();
  for (let at = 0; at < source.length; at += 1 << 16)
    h.update(await source.read(at, Math.min(1 << 16, source.length - at)));
  return toHex(h.digest());
}

export function downloadOwner(options: DownloadOwnerOptions): OwnerServiceInfoModule<DownloadOwnerState> {
  const items = async (device: DeviceFacts) =>
    typeof options.files === 'function' ? options.files(device) : options.files;
  const chunkSize = Math.min(options.chunkSize ?? Download.maxChunk, Download.maxChunk);
  return {
    name: Download.module,
    async start(device) {
      const files: DownloadFileResult[] = [];
      for (const item of await items(device)) {
        const source = sourceOf(item.contents);
        files.push({ name: item.name, length: source.length, sha384: await hashOf(source), done: null });
      }
      return { index: 0, offset: 0, started: false, files };
    },
    async produce(state, ctx) {
      const file = state.files[state.index];
      if (file === undefined) return { state, messages: [], done: true };
      const messages: ServiceInfoMessage[] = [];
      if (!state.started) {
        messages.push(
          { message: Download.name, value: file.name },
          { message: Download.length, value: file.length },
          { message: Download.sha384, value: Buffer.from(file.sha384, 'hex') },
        );
      } else if (state.offset >= file.length) {
        return { state, messages: [], done: false }; // every block sent: waiting for done
      }
      const room = Math.min(chunkSize, dataRoom(`${Download.module}:${Download.data}`, ctx.budget));
      const n = Math.min(room, file.length - state.offset);
      const item = (await items(ctx.device))[state.index];
      if (item === undefined) throw new InvalidMessageError(`fdo.download: ${file.name} is no longer configured`);
      const block = await sourceOf(item.contents).read(state.offset, n);
      messages.push({ message: Download.data, value: block });
      return { state: { ...state, started: true, offset: state.offset + n }, messages, done: false };
    },
    async receive(state, { message, value }, ctx) {
      if (message !== Download.done) return state; // unknown messages are ignored (§3.8.1)
      const file = state.files[state.index];
      if (file === undefined) throw new InvalidMessageError('fdo.download:done with no file in progress');
      const done = read.int(value, 'fdo.download:done');
      if (done === Download.failed && (await items(ctx.device))[state.index]?.required === true) {
        throw new InvalidMessageError(`fdo.download: the device could not write ${file.name}`);
      }
      const files = state.files.map((f, i) => (i === state.index ? { ...f, done } : f));
      return { index: state.index + 1, offset: 0, started: false, files };
    },
    result: (state) => state.files,
  };
}
