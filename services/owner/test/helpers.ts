/**
 * Test helpers for the owner service: start instances over real HTTP on fresh real databases, call the
 * management API, and make vouchers quickly (one device key, CA and manufacturer key per factory,
 * a fresh GUID per voucher, each extended to a chosen owner key).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certChainHash,
  DeviceCredential,
  encode,
  extendVoucher,
  Hash,
  generateKeyPair,
  hashAlgFor,
  HMac,
  newGuid,
  nodeCrypto,
  OVHeader,
  OwnershipVoucher,
  PublicKey,
  publicKeyInfo,
  RendezvousInfo,
  type KeyKind,
  type KeyPair,
  type PublicKeyDer,
} from '@fdo/protocol';
import { createSelfSignedCa, issueCertificate } from '@fdo/protocol/x509';
import { databaseTargets, type DatabaseTarget } from '@fdo/storage/testing';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { build, type BuildOptions } from '../src/index.js';

export interface TestContext {
  teardown(fn: () => unknown): void;
}

/** Runs `fn` as a subtest per database kind, each on a fresh database (SQLite, and PostgreSQL when reachable). */
export function onEachDatabase(t: Test, title: string, fn: (t: Test, db: DatabaseTarget) => Promise<void>): void {
  t.test(title, async (t) => {
    for (const db of await databaseTargets(t)) await t.test(db.name, (t) => fn(t, db));
  });
}

/** A JSON reply, read field by field in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on the fields they read
export type Json = any;

export function tempDir(t: TestContext, prefix = 'fdo-owner-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A request body as the tests send it. */
export type RawBody = string | Uint8Array | ReadableStream<Uint8Array>;

export interface ApiReply {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

export interface Owner {
  app: FastifyInstance;
  url: string;
  /** The bootstrap admin API token. */
  admin: string;
  api(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; raw?: RawBody; contentType?: string },
  ): Promise<ApiReply>;
  close(): Promise<void>;
}

/** Builds an owner (TO0 scheduler off unless asked) and listens on an ephemeral loopback port; closed at teardown. */
export async function startOwner(
  t: TestContext,
  options: BuildOptions & { databaseUrl: string; keysDir: string },
): Promise<Owner> {
  const dataDir = tempDir(t, 'fdo-owner-data-');
  const app = await build({
    dataDir,
    logger: process.env.OWNER_TEST_LOG === '1',
    keyKinds: ['ec256'],
    ...options,
    to0: { enabled: false, ...options.to0 },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  const close = async () => {
    if (!closed) await app.close();
    closed = true;
  };
  t.teardown(close);
  const admin = (await app.owner.tokens.create({ name: 'test-admin', scopes: ['admin'] })).token;
  const api: Owner['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? admin}`;
    let body: RawBody | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['content-type'] = opts.contentType ?? 'application/x-pem-file';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return { app, url, admin, api, close };
}

export interface MakeOptions {
  owner?: PublicKeyDer;
  rvUrls?: string[];
  /** RV info as given, instead of `rvUrls`. */
  rvInfo?: RendezvousInfo;
  deviceInfo?: string;
  extend?: boolean;
}

/** A device as DI leaves it: its credential and attestation key, and its voucher. */
export interface TestDevice {
  credential: DeviceCredential;
  deviceKey: KeyPair;
  voucher: OwnershipVoucher;
}

/**
 * Makes vouchers of one kind of device quickly: the keys and certificates are made once (all devices
 * of a factory share the device key and HMAC secret, which is fine for tests of the owner).
 */
export interface VoucherFactory {
  manufacturerKey: KeyPair;
  deviceCa: Uint8Array;
  /** A fresh voucher, extended to `owner` (default: the factory's owner), with RV info `rvUrls`. */
  make(options?: MakeOptions): OwnershipVoucher;
  /** A fresh device with its credential, and its voucher as `make` makes it. */
  device(options?: MakeOptions): TestDevice;
}

export async function voucherFactory(
  owner: PublicKeyDer,
  options: { kind?: KeyKind; deviceKind?: KeyKind; rvUrls?: string[] } = {},
): Promise<VoucherFactory> {
  const kind = options.kind ?? 'ec256';
  const manufacturerKey = generateKeyPair(kind);
  const caKey = generateKeyPair('ec256');
  const deviceCa = await createSelfSignedCa({ privateKey: caKey.privateKey, subject: 'CN=Test Device CA' });
  const deviceKey = generateKeyPair(options.deviceKind ?? 'ec256');
  const deviceCert = await issueCertificate({
    issuer: { privateKey: caKey.privateKey, certificate: deviceCa },
    publicKey: deviceKey.publicKey,
    subject: 'CN=test device',
  });
  const certChain = [deviceCert, deviceCa];
  const alg = hashAlgFor(publicKeyInfo(deviceKey.publicKey), publicKeyInfo(manufacturerKey.publicKey));
  const chainHash = certChainHash(nodeCrypto, alg, certChain);
  const mfgPublic = PublicKey.fromDer(manufacturerKey.publicKey);
  const hmacSecret = nodeCrypto.randomBytes(alg === 'SHA-384' ? 48 : 32);
  const pubKeyHash = Hash.compute(nodeCrypto, alg, encode(mfgPublic.toCbor()));
  const factory: VoucherFactory = {
    manufacturerKey,
    deviceCa,
    device(o = {}) {
      const voucher = factory.make(o);
      const credential = new DeviceCredential({
        active: true,
        protVer: 101,
        hmacSecret,
        deviceInfo: voucher.header.deviceInfo,
        guid: voucher.guid,
        rvInfo: voucher.header.rvInfo,
        pubKeyHash,
      });
      return { credential, deviceKey, voucher };
    },
    make(o = {}) {
      const header = OVHeader.create({
        guid: newGuid(nodeCrypto),
        rvInfo: o.rvInfo ?? RendezvousInfo.fromUrls(...(o.rvUrls ?? options.rvUrls ?? ['http://127.0.0.1:8040'])),
        deviceInfo: o.deviceInfo ?? 'owner-test-device',
        publicKey: mfgPublic,
        certChainHash: chainHash,
      });
      const unextended = OwnershipVoucher.create({
        header,
        hmac: HMac.compute(nodeCrypto, alg, hmacSecret, header.bytes),
        certChain,
      });
      if (o.extend === false) return unextended;
      return extendVoucher(nodeCrypto, unextended, manufacturerKey.privateKey, PublicKey.fromDer(o.owner ?? owner));
    },
  };
  return factory;
}

/** A round-robin HTTP load balancer on loopback: request n goes to upstream n mod 2, no stickiness. */
export async function roundRobin(t: TestContext, upstreams: string[]): Promise<{ url: string; served: string[] }> {
  const served: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const target = upstreams[n++ % upstreams.length]!;
    served.push(target);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Forward what FDO uses; hop-by-hop headers stay behind.
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'authorization', 'message-type']) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      fetch(`${target}${req.url}`, { method: req.method!, headers, body: Buffer.concat(chunks) })
        .then(async (up) => {
          const out: Record<string, string> = {};
          for (const h of ['content-type', 'authorization', 'message-type']) {
            const v = up.headers.get(h);
            if (v !== null) out[h] = v;
          }
          res.writeHead(up.status, out);
          res.end(Buffer.from(await up.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served };
}
