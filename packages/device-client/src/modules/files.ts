/**
 * File handling shared by the device's fdo.download, fdo.upload and fdo.wget: names resolved inside
 * one configured directory (the "default working directory" of the fdo.command page), and files
 * written atomically: a temporary file beside the target, fsync, rename, fsync of the directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * The absolute path of `name` inside `dir`, or null when it would leave it (`..`, an absolute path
 * elsewhere, an empty name). Absolute names inside `dir` are accepted.
 */
export function resolveInside(dir: string, name: string): string | null {
  if (name.length === 0 || name.includes('\0')) return null;
  const root = resolve(dir);
  const target = resolve(root, name);
  const rel = relative(root, target);
  if (rel.length === 0 || rel.startsWith('..') || isAbsolute(rel)) return null;
  return target;
}

/** A file being written: bytes go to a temporary file that `commit` renames over the target. */
export class AtomicFile {
  private constructor(
    readonly target: string,
    readonly temp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(target: string, mode = 0o644): Promise<AtomicFile> {
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
    return new AtomicFile(target, temp, await open(temp, 'wx', mode));
  }

  async write(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) at += (await this.handle.write(data, at, data.length - at)).bytesWritten;
  }

  /** fsync, close, rename over the target, fsync the directory (so the rename survives a power cut). */
  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.temp, this.target);
    await syncDir(dirname(this.target));
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a whole file atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const file = await AtomicFile.create(target, mode);
  try {
    await file.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}
