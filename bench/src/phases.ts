/**
 * The load generator's phases, each over the protocol package's own device and owner drivers
 * (runDI, runTO0, runTO1, runTO2) and client-kit's undici transport, as a real device or owner runs
 * them: DI at the manufacturer, the voucher export and the bulk import at the owner (management API),
 * TO0 of every voucher, then TO1 + TO2 of every device. Each message's round trip is timed by a thin
 * wrapper around the transport.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  formatGuid,
  generateKeyPair,
  nodeCrypto,
  readVoucherPem,
  runDI,
  runTO0,
  runTO1,
  runTO2,
  RVTO2Addr,
  type DeviceCredential,
  type FdoReply,
  type FdoTransport,
  type KeyPair,
  type OwnershipVoucher,
  type To1d,
} from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import { Agent, request, type Dispatcher } from 'undici';
import { ProtocolStats } from './stats.js';

/** One simulated device and what it learnt so far. */
export interface SimDevice {
  index: number;
  serial: string;
  key: KeyPair;
  credential?: DeviceCredential;
  voucher?: OwnershipVoucher;
  to1d?: To1d;
  to2Url?: string;
  onboarded?: boolean;
}

export interface Runtime {
  dispatcher: Dispatcher;
  concurrency: number;
  /** Called with the number of items finished so far. */
  progress?: (done: number, total: number, errors: number) => void;
}

export function newAgent(concurrency: number): Agent {
  // One keep-alive connection per worker and origin at most: a device fleet behind NAT looks alike.
  return new Agent({ connections: Math.max(1, concurrency), keepAliveTimeout: 30_000, pipelining: 1 });
}

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

/** A transport that records each message's round trip (successful replies only) under its request type. */
export function timedTransport(url: string, stats: ProtocolStats, dispatcher: Dispatcher): FdoTransport {
  const inner = httpTransport(url, { dispatcher });
  return {
    async send(msgType: number, body: Uint8Array): Promise<FdoReply> {
      const start = performance.now();
      const reply = await inner.send(msgType, body);
      stats.message(msgType, performance.now() - start);
      return reply;
    },
  };
}

/** Runs `fn` over `items` with `concurrency` workers; a failing item is counted, never stops the rest. */
export async function runPool<T>(
  items: readonly T[],
  rt: Runtime,
  fn: (item: T) => Promise<void>,
  onError: (item: T, err: unknown) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let errors = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors++;
        onError(item, err);
      }
      rt.progress?.(++done, items.length, errors);
    }
  };
  await Promise.all(Array.from({ length: Math.min(rt.concurrency, items.length) }, worker));
}

/** Times one protocol run into `stats.runs`, counting its error by code. */
async function timedRun(stats: ProtocolStats, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  try {
    await fn();
  } catch (err) {
    stats.error(err);
    throw err;
  }
  stats.runs.add(performance.now() - start);
}

export function makeDevices(count: number, runId: string): SimDevice[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    serial: `BENCH-${runId}-${String(index).padStart(7, '0')}`,
    key: generateKeyPair('ec256'),
  }));
}

/** DI (FDO 1.1 §5.2) of every device at the manufacturer(s). */
export async function diPhase(devices: SimDevice[], urls: readonly string[], rt: Runtime): Promise<ProtocolStats> {
  const stats = new ProtocolStats();
  await runPool(
    devices,
    rt,
    (d) =>
      timedRun(stats, async () => {
        const transport = timedTransport(pick(urls, d.index), stats, rt.dispatcher);
        const { credential } = await runDI(transport, { crypto: nodeCrypto, deviceKey: d.key, serialNumber: d.serial });
        d.credential = credential;
      }),
    () => {},
  );
  return stats;
}

/** An HTTP call to a management API; throws with the reply's text unless it is 2xx. */
async function api(
  dispatcher: Dispatcher,
  url: string,
  token: string | undefined,
  init: { method?: 'GET' | 'POST'; body?: Dispatcher.DispatchOptions['body']; contentType?: string } = {},
): Promise<Dispatcher.ResponseData> {
  const res = await request(url, {
    dispatcher,
    method: init.method ?? 'GET',
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 500)}`);
  }
  return res;
}

/** Downloads the manufacturer's vouchers as one PEM bundle (GET /api/v1/vouchers/export) into `file`. */
export async function exportVouchers(
  dispatcher: Dispatcher,
  manufacturerUrl: string,
  token: string | undefined,
  file: string,
): Promise<void> {
  const res = await api(dispatcher, `${manufacturerUrl}/api/v1/vouchers/export`, token);
  await pipeline(res.body, createWriteStream(file));
}

export interface ImportReply {
  imported: number;
  duplicate: number;
  rejected: number;
  results: { index: number; guid: string | null; result: string; reason?: string }[];
}

/** Streams a PEM bundle to the owner (POST /api/v1/vouchers, one request). */
export async function importVouchers(
  dispatcher: Dispatcher,
  ownerUrl: string,
  token: string | undefined,
  file: string,
): Promise<ImportReply> {
  const res = await api(dispatcher, `${ownerUrl}/api/v1/vouchers?details=problems`, token, {
    method: 'POST',
    body: createReadStream(file),
    contentType: 'application/x-pem-file',
  });
  return (await res.body.json()) as ImportReply;
}

/** Attaches each device's voucher (by GUID) from a PEM bundle. */
export function attachVouchers(devices: SimDevice[], file: string): number {
  const byGuid = new Map(readVoucherPem(readFileSync(file, 'utf8')).vouchers.map((v) => [formatGuid(v.guid), v]));
  let found = 0;
  for (const d of devices) {
    if (d.credential === undefined) continue;
    d.voucher = byGuid.get(formatGuid(d.credential.guid));
    if (d.voucher !== undefined) found++;
  }
  return found;
}

/** TO0 (§5.3) of every device's voucher, signed with the owner key, naming `to2Url` as the owner's address. */
export async function to0Phase(
  devices: SimDevice[],
  urls: readonly string[],
  ownerKey: Parameters<typeof runTO0>[1]['ownerKey'],
  to2Url: string,
  rt: Runtime,
): Promise<ProtocolStats> {
  const stats = new ProtocolStats();
  const addresses = [RVTO2Addr.fromUrl(to2Url)];
  await runPool(
    devices.filter((d) => d.voucher !== undefined),
    rt,
    (d) =>
      timedRun(stats, async () => {
        const transport = timedTransport(pick(urls, d.index), stats, rt.dispatcher);
        await runTO0(transport, { crypto: nodeCrypto, voucher: d.voucher!, ownerKey, addresses, waitSeconds: 86_400 });
      }),
    () => {},
  );
  return stats;
}

/** TO1 (§5.4) once for each device; keeps the to1d and the owner address it names. */
async function to1Once(d: SimDevice, urls: readonly string[], stats: ProtocolStats, rt: Runtime): Promise<void> {
  await timedRun(stats, async () => {
    const transport = timedTransport(pick(urls, d.index), stats, rt.dispatcher);
    const result = await runTO1(transport, { credential: d.credential!, deviceKey: d.key.privateKey });
    d.to1d = result.to1d;
    d.to2Url = result.addresses[0]?.toUrl();
  });
}

/** TO1 of every device, `rounds` times each (a device may ask again, e.g. after a failed TO2). */
export async function to1Phase(
  devices: SimDevice[],
  urls: readonly string[],
  rounds: number,
  rt: Runtime,
): Promise<ProtocolStats> {
  const stats = new ProtocolStats();
  const work = Array.from({ length: rounds }, () => devices.filter((d) => d.credential !== undefined)).flat();
  await runPool(
    work,
    rt,
    (d) => to1Once(d, urls, stats, rt),
    () => {},
  );
  return stats;
}

/**
 * TO1 then TO2 (§5.5, devmod only) per device: a first power-up. TO2 goes to `ownerUrls` (round robin,
 * standing in for a load balancer) when given, else to the address TO1 returned.
 */
export async function onboardPhase(
  devices: SimDevice[],
  rendezvousUrls: readonly string[],
  ownerUrls: readonly string[] | undefined,
  rt: Runtime,
): Promise<{ to1: ProtocolStats; to2: ProtocolStats }> {
  const to1 = new ProtocolStats();
  const to2 = new ProtocolStats();
  await runPool(
    devices.filter((d) => d.credential !== undefined),
    rt,
    async (d) => {
      await to1Once(d, rendezvousUrls, to1, rt);
      await timedRun(to2, async () => {
        const url = ownerUrls === undefined || ownerUrls.length === 0 ? d.to2Url! : pick(ownerUrls, d.index);
        const transport = timedTransport(url, to2, rt.dispatcher);
        await runTO2(transport, {
          credential: d.credential!,
          deviceKey: d.key.privateKey,
          ...(d.to1d === undefined ? {} : { to1d: d.to1d }),
          devmod: { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'fdo-bench', sn: d.serial },
        });
        d.onboarded = true;
      });
    },
    () => {},
  );
  return { to1, to2 };
}
