/** Starting the manufacturer for a test: real HTTP on loopback, a real database, keys shared per test file. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { certificatesFromPem } from '@fdo/protocol/x509';
import { build, type ManufacturerConfig } from '../src/index.js';

export function tempDir(t: Test, prefix = 'fdo-mfg-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Manufacturer {
  url: string;
  /** The bootstrap admin API token. */
  admin: string;
  dataDir: string;
  /** The device CA certificate (the trust anchor of device certificates). */
  deviceCa: Uint8Array;
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

/** Builds and listens on an ephemeral port; closed at teardown. */
export async function startManufacturer(
  t: Test,
  config: Partial<ManufacturerConfig> & { databaseUrl: string; keysDir: string },
): Promise<Manufacturer> {
  const dataDir = tempDir(t);
  const app = await build({
    dataDir,
    logger: false,
    rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: 8040, ownerPort: 8040 }],
    ...config,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  const close = async () => {
    if (!closed) await app.close();
    closed = true;
  };
  t.teardown(close);
  const admin = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const deviceCa = certificatesFromPem(readFileSync(join(config.keysDir, 'device-ca.crt.pem'), 'utf8'))[0]!;
  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const { token, headers, ...rest } = init;
    const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token ?? admin}` };
    return fetch(`${address}/api/v1${path}`, { ...rest, headers: { ...auth, ...(headers as Record<string, string>) } });
  };
  return { url: address, admin, dataDir, deviceCa, api, close };
}

/** Posts an FDO message as a device would, returning status, message type and body. */
export async function postFdo(url: string, msgType: number, body: Uint8Array, token?: string) {
  const res = await fetch(`${url}/fdo/101/msg/${msgType}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/cbor',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
  });
  return {
    status: res.status,
    msgType: Number(res.headers.get('message-type')),
    token: res.headers.get('authorization')?.replace(/^Bearer /, ''),
    contentType: res.headers.get('content-type'),
    contentLength: res.headers.get('content-length'),
    body: new Uint8Array(await res.arrayBuffer()),
  };
}
