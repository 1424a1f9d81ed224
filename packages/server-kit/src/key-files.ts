/**
 * Key files a service generates on first start and reads afterwards: written once (several instances
 * starting together end up with the same file), read back with errors that name the file.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  keyKindOf,
  pemBlocks,
  PRIVATE_KEY_LABELS,
  privateKeyFromDer,
  privateKeyInfo,
  type KeyKind,
  type PrivateKeyDer,
} from '@fdo/protocol';

/** The file's text, or null when it does not exist. */
export function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes `text` to `path` unless it exists; returns what the file holds afterwards (ours or a racing instance's). */
export function writeOnce(path: string, text: string, mode: number): string {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode });
  try {
    linkSync(tmp, path); // fails with EEXIST when the file is already there
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readFileSync(path, 'utf8');
}

/** The one private key in a PEM text (PKCS#8, SEC1 or PKCS#1), as PKCS#8. */
export function privateKeyFromPemText(text: string, where: string): PrivateKeyDer {
  const blocks = pemBlocks(text).filter((b) => (PRIVATE_KEY_LABELS as readonly string[]).includes(b.label));
  if (blocks.length !== 1) throw new Error(`${where}: expected one PRIVATE KEY block, found ${blocks.length}`);
  const block = blocks[0]!;
  try {
    return privateKeyFromDer(block.der, block.label as (typeof PRIVATE_KEY_LABELS)[number]);
  } catch (err) {
    throw new Error(`${where}: the ${block.label} block is not a usable key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The FDO key type of a private key, or an error naming the file. */
export function fdoKeyKind(key: PrivateKeyDer, where: string): KeyKind {
  const kind = keyKindOf(privateKeyInfo(key));
  if (kind === null) throw new Error(`${where}: not an FDO key type (EC P-256/P-384, RSA 2048/3072)`);
  return kind;
}
