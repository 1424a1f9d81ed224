/**
 * Test helpers for the rendezvous service: start instances on a database over real HTTP, a transport that
 * sends each message of a session to the next instance in turn, and management-API calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeErrorMessage,
  DeviceCredential,
  FdoPeerError,
  OwnershipVoucher,
  type FdoReply,
  type FdoTransport,
} from '@fdo/protocol';
import { messageUrl } from '@fdo/client-kit';
import { ApiTokenStore, type ApiScope } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';
import { build, type BuildOptions } from '../src/index.js';

import * as fixtures from '../../../packages/protocol/test/phases/to0/fixtures.js';

export {
  keyPair,
  makeCa,
  type MakeDeviceOptions,
  type TestCa,
} from '../../../packages/protocol/test/phases/to0/fixtures.js';

/** A test device (protocol test fixtures) whose voucher and credential are this package's @fdo/protocol classes. */
export interface TestDevice extends Omit<fixtures.TestDevice, 'voucher' | 'unextended' | 'credential'> {
  voucher: OwnershipVoucher;
  unextended: OwnershipVoucher;
  credential: DeviceCredential;
}

export async function makeDevice(options: fixtures.MakeDeviceOptions = {}): Promise<TestDevice> {
  const d = await fixtures.makeDevice(options);
  return {
    ...d,
    voucher: OwnershipVoucher.decode(d.voucher.encode()),
    unextended: OwnershipVoucher.decode(d.unextended.encode()),
    credential: DeviceCredential.decode(d.credential.encode()),
  };
}

export interface TestContext {
  teardown(fn: () => unknown): void;
}

/** A JSON reply, read field by field in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on the fields they read
export type Json = any;

export interface Instance {
  app: FastifyInstance;
  url: string;
  /** A management API token with the given scopes. */
  token(scopes?: ApiScope[]): Promise<string>;
  api(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<{ status: number; json: Json }>;
}

/** Starts an instance on `databaseUrl`, listening on an ephemeral loopback port; closed at teardown. */
export async function startRendezvous(
  t: TestContext,
  databaseUrl: string,
  options: BuildOptions = {},
): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fdo-rv-test-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = build({
    databaseUrl,
    dataDir,
    logger: process.env.RV_TEST_LOG === '1',
    purgeIntervalSeconds: 3600,
    ...options,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const tokens = new ApiTokenStore(app.rendezvous.db.prisma, 'rendezvous');
  let admin: string | undefined;
  const instance: Instance = {
    app,
    url,
    async token(scopes: ApiScope[] = ['admin']) {
      return (await tokens.create({ name: `test-${scopes.join('-')}`, scopes })).token;
    },
    async api(method, path, opts = {}) {
      admin ??= await instance.token(['admin']);
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          ...(opts.token === '' ? {} : { authorization: `Bearer ${opts.token ?? admin}` }),
          ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
    },
  };
  return instance;
}

/** An FDO transport that posts each message of one session to the next base URL in turn, carrying the token. */
export function alternatingTransport(urls: readonly string[]): FdoTransport & { readonly used: string[] } {
  let token: string | undefined;
  let next = 0;
  const used: string[] = [];
  return {
    used,
    async send(msgType: number, body: Uint8Array): Promise<FdoReply> {
      const base = urls[next++ % urls.length]!;
      used.push(base);
      const res = await fetch(messageUrl(base, msgType), {
        method: 'POST',
        headers: {
          'content-type': 'application/cbor',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body,
      });
      const reply = new Uint8Array(await res.arrayBuffer());
      const type = Number(res.headers.get('message-type'));
      if (type === 255) throw new FdoPeerError(decodeErrorMessage(reply), base);
      token = res.headers.get('authorization')?.replace(/^Bearer\s+/i, '') ?? token;
      return { msgType: type, body: reply };
    },
  };
}

/** Rows in the rendezvous tables, to check that a refusal stored nothing. */
export async function rowCounts(instance: Instance): Promise<{ registrations: number; nonces: number }> {
  const prisma = instance.app.rendezvous.db.prisma;
  const [registrations, nonces] = await Promise.all([prisma.rvRegistration.count(), prisma.rvUsedNonce.count()]);
  return { registrations, nonces };
}
