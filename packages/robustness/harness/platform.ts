/**
 * The three services on loopback over one real database (SQLite or PostgreSQL), as a small deployment
 * runs them, plus what an adversarial test needs besides: its own connection to the database (to
 * compare rows before and after a message, and to rewind a session), and devices taken through the
 * real flow (DI at the manufacturer, voucher import at the owner, TO0 at the rendezvous server).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { httpTransport, registerWithRendezvous } from '@fdo/client-kit';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildOwner, type BuildOptions as OwnerOptions } from '@fdo/owner';
import {
  formatGuid,
  generateKeyPair,
  nodeCrypto,
  publicKeyToPem,
  readVoucherPem,
  runDI,
  RVTO2Addr,
  type DeviceCredential,
  type KeyPair,
  type OwnershipVoucher,
} from '@fdo/protocol';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { openDatabase, type Database } from '@fdo/storage';
import type { DatabaseTarget } from '@fdo/storage/testing';
import type { FastifyInstance } from 'fastify';

export interface TestContext {
  teardown(fn: () => unknown): void;
}

export interface Service {
  app: FastifyInstance;
  url: string;
  /** The bootstrap admin API token. */
  admin: string;
}

export interface Platform {
  db: DatabaseTarget;
  dir: string;
  manufacturer: Service;
  rendezvous: Service;
  owner: Service;
  /** A connection of the test's own to the services' database. */
  store: Database;
  api(
    service: Service,
    method: string,
    path: string,
    body?: string | Uint8Array,
    contentType?: string,
  ): Promise<ApiReply>;
}

export interface ApiReply {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the fields they assert on
  json: any;
}

export interface PlatformOptions {
  owner?: OwnerOptions;
  /** Service logs on (pino to stdout); default off. */
  logger?: boolean;
}

export function tempDir(t: TestContext, prefix = 'fdo-robust-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const portOf = (app: FastifyInstance) => (app.server.address() as AddressInfo).port;
const adminToken = (dataDir: string) => readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();

/** Starts rendezvous, owner and manufacturer (in that order: each needs the one before); closed at teardown. */
export async function startPlatform(
  t: TestContext,
  db: DatabaseTarget,
  options: PlatformOptions = {},
): Promise<Platform> {
  const dir = tempDir(t);
  const logger = options.logger ?? false;
  const closing: (() => Promise<unknown>)[] = [];
  t.teardown(async () => {
    for (const close of closing.reverse()) await close();
  });

  const rv = buildRendezvous({
    databaseUrl: db.url,
    dataDir: join(dir, 'rv'),
    logger,
    // A fuzzer is a flood from one address: the per-source limit would answer it instead of the protocol.
    rateLimit: { perSecond: 0, burst: 1, trustProxyHops: 0 },
    purgeIntervalSeconds: 3600,
  });
  await rv.listen({ port: 0, host: '127.0.0.1' });
  closing.push(() => rv.close());
  const rvPort = portOf(rv);

  // The owner must know its TO2 address before it listens (it is what TO0 registers): bind first.
  const owner = await buildOwner({
    databaseUrl: db.url,
    dataDir: join(dir, 'owner'),
    keysDir: join(dir, 'owner-keys'),
    keyKinds: ['ec256'],
    logger,
    rateLimit: { perSecond: 0, burst: 1, trustProxyHops: 0 },
    ...options.owner,
    to0: { enabled: false, ...options.owner?.to0 },
  });
  await owner.listen({ port: 0, host: '127.0.0.1' });
  closing.push(() => owner.close());
  const ownerUrl = `http://127.0.0.1:${portOf(owner)}`;
  const ownerKeyFile = join(dir, 'owner-key.pem');
  writeFileSync(ownerKeyFile, publicKeyToPem(owner.owner.keys.list()[0]!.publicKey));

  const mfg = await buildManufacturer({
    databaseUrl: db.url,
    dataDir: join(dir, 'mfg'),
    keysDir: join(dir, 'mfg-keys'),
    keyKinds: ['ec256'],
    rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: rvPort, ownerPort: rvPort }],
    ownerKeyFiles: { '*': [ownerKeyFile] },
    logger,
  });
  await mfg.listen({ port: 0, host: '127.0.0.1' });
  closing.push(() => mfg.close());

  const store = await openDatabase({ url: db.url });
  closing.unshift(() => store.close());

  const api: Platform['api'] = async (service, method, path, body, contentType = 'application/x-pem-file') => {
    const res = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${service.admin}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };

  return {
    db,
    dir,
    rendezvous: { app: rv, url: `http://127.0.0.1:${rvPort}`, admin: adminToken(join(dir, 'rv')) },
    owner: { app: owner, url: ownerUrl, admin: adminToken(join(dir, 'owner')) },
    manufacturer: {
      app: mfg,
      url: `http://127.0.0.1:${portOf(mfg)}`,
      admin: adminToken(join(dir, 'mfg')),
    },
    store,
    api,
  };
}

/** A device after DI: its key and credential, and the voucher the manufacturer issued (extended to the owner). */
export interface Device {
  deviceKey: KeyPair;
  credential: DeviceCredential;
  guid: string;
  voucher: OwnershipVoucher;
}

let serial = 0;

/** DI at the manufacturer, as the device client does it. */
export async function manufacture(p: Platform): Promise<Device> {
  const deviceKey = generateKeyPair('ec256');
  const transport = httpTransport(p.manufacturer.url);
  try {
    const { credential } = await runDI(transport, {
      crypto: nodeCrypto,
      deviceKey,
      serialNumber: `SN-ROBUST-${process.pid}-${++serial}`,
    });
    const guid = formatGuid(credential.guid);
    const pem = await p.api(p.manufacturer, 'GET', `/vouchers/${guid}?format=pem`);
    if (pem.status !== 200) throw new Error(`voucher download: ${pem.status} ${pem.text}`);
    return { deviceKey, credential, guid, voucher: readVoucherPem(pem.text).vouchers[0]! };
  } finally {
    await transport.close();
  }
}

/** DI, then the voucher imported at the owner. */
export async function manufactureAndImport(p: Platform): Promise<Device> {
  const device = await manufacture(p);
  const res = await p.api(p.owner, 'POST', '/vouchers', device.voucher.encode(), 'application/cbor');
  if (res.json?.imported !== 1) throw new Error(`import: ${res.status} ${res.text}`);
  return device;
}

/** The owner key the voucher is extended to (the owner service's own). */
export function ownerKeyOf(p: Platform, voucher: OwnershipVoucher) {
  const key = p.owner.app.owner.keys.find(voucher.ownerPublicKey);
  if (key === undefined) throw new Error('the voucher is not extended to the owner service');
  return key.privateKey;
}

export const to2AddressesOf = (p: Platform) => [RVTO2Addr.fromUrl(p.owner.url)];

/** TO0 for the device, as the owner's scheduler runs it. */
export async function register(p: Platform, device: Device): Promise<void> {
  await registerWithRendezvous(p.rendezvous.url, {
    voucher: device.voucher,
    ownerKey: ownerKeyOf(p, device.voucher),
    addresses: to2AddressesOf(p),
    waitSeconds: 3600,
  });
}
