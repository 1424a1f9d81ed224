/**
 * Test helpers for the device client: devices made as DI leaves them (the protocol's fixtures), their
 * credential files, and a TO2 owner over real HTTP on loopback: the protocol's TO2 responder behind
 * the server kit's FDO routes, with the owner state in memory (the protocol's test fixture). Tests
 * that need the owner service itself (database, voucher import, TO0) are the *.e2e tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DeviceCredential, nodeCrypto, OwnershipVoucher, to2Responder, TO2_REQUEST_TYPES } from '@fdo/protocol';
import type { OwnerServiceInfoModule } from '@fdo/protocol/serviceinfo';
import { createApp, fdoRoutes } from '@fdo/server-kit';
import * as fixtures from '../../protocol/test/phases/to0/fixtures.js';
import { MemoryOwner } from '../../protocol/test/phases/to2/fixtures.js';
import { writeCredentialFile } from '../src/index.js';
import { runDeviceCli } from '../src/cli/index.js';

export { MemoryOwner };

export interface TestContext {
  teardown(fn: () => unknown): void;
}

export function tempDir(t: TestContext, prefix = 'fdo-device-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A test device whose voucher and credential are this package's @fdo/protocol classes. */
export interface TestDevice extends Omit<fixtures.TestDevice, 'voucher' | 'unextended' | 'credential'> {
  voucher: OwnershipVoucher;
  credential: DeviceCredential;
}

/** A device as DI leaves it, its voucher extended to an owner; its credential written to `dir/device.cred`. */
export async function makeDevice(
  dir: string,
  options: fixtures.MakeDeviceOptions = {},
): Promise<TestDevice & { file: string }> {
  const d = await fixtures.makeDevice(options);
  const device = {
    ...d,
    voucher: OwnershipVoucher.decode(d.voucher.encode()),
    credential: DeviceCredential.decode(d.credential.encode()),
  };
  const file = join(dir, 'device.cred');
  writeCredentialFile(file, { credential: device.credential, privateKey: device.deviceKey.privateKey });
  return { ...device, file };
}

export interface TestOwner {
  url: string;
  store: MemoryOwner;
  /** Message types received, in order. */
  received: number[];
}

export interface TestOwnerOptions {
  serviceInfoModules?: readonly OwnerServiceInfoModule[];
  /** Called before each message is answered; may wait (to hold the device mid-TO2). */
  beforeAnswer?: (msgType: number) => Promise<void> | void;
}

/** A TO2 owner on an ephemeral loopback port holding `devices`' vouchers; closed at teardown. */
export async function startTestOwner(
  t: TestContext,
  devices: readonly TestDevice[],
  options: TestOwnerOptions = {},
): Promise<TestOwner> {
  const store = new MemoryOwner();
  for (const d of devices) store.add(d.voucher, d.ownerKey.privateKey);
  const to2 = to2Responder({
    crypto: nodeCrypto,
    state: store,
    ...(options.serviceInfoModules === undefined ? {} : { serviceInfoModules: options.serviceInfoModules }),
  });
  const received: number[] = [];
  const app = createApp({ service: 'test-owner', logger: false });
  await app.register(fdoRoutes, {
    messageTypes: TO2_REQUEST_TYPES,
    responder: async (req) => {
      received.push(req.msgType);
      await options.beforeAnswer?.(req.msgType);
      return to2(req);
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { url, store, received };
}

/** Runs the CLI in-process, capturing its output. */
export async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDeviceCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

/**
 * The CLI in a child process (the sources, through tsx), as a device would run it. `shell` runs first
 * in the same shell (e.g. `ulimit -f 0`), which then becomes the CLI process.
 */
export function cliProcess(argv: string[], options: { shell?: string } = {}): ChildProcess {
  const entry = new URL('./fdo-device-child.ts', import.meta.url).pathname;
  const command = [process.execPath, '--import=tsx', entry, ...argv];
  if (options.shell === undefined) return spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('/bin/sh', ['-c', `${options.shell}; exec ${quoted}`], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves when the child's stderr has printed a line matching `pattern`. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stderr!.off('data', onData);
        resolve(line);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', () => reject(new Error(`the child exited before printing ${pattern}:\n${text}`)));
  });
}

/** The child's exit: code and signal, with everything it printed. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null; output: string }> {
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output })));
}

/** A free loopback port (for a service that must know its own address before it listens). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A management API call with a bearer token: a string body is PEM, an object JSON. */
export async function api(base: string, token: string, method: string, path: string, body?: string | object) {
  const json = typeof body === 'object';
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': json ? 'application/json' : 'application/x-pem-file' }),
    },
    ...(body === undefined ? {} : { body: json ? JSON.stringify(body) : body }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

/** Polls `fn` until it returns a value. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
