/**
 * Our three services started as child processes on loopback, each on a fresh database (a SQLite file
 * per service, or a PostgreSQL database per service that is dropped afterwards), configured through
 * their FDO_* variables exactly as an operator would. Separate processes, so that the CPU time of
 * each server is its own (read from /proc/PID/stat) and not mixed with the load generator's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, privateKeyToPem, publicKeyOf, publicKeyToPem, type PrivateKeyDer } from '@fdo/protocol';
import { certificatesToPem, createSelfSignedCa } from '@fdo/protocol/x509';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';
export type ServiceName = 'manufacturer' | 'rendezvous' | 'owner';
/**
 * The manufacturer's device CA: `ec256` (default) a P-256 CA made here and given through
 * FDO_MFG_DEVICE_CA_KEY/CERT, as in the issue's targets (P-256 keys throughout); `service` the CA the
 * manufacturer generates itself (P-384).
 */
export type DeviceCaChoice = 'ec256' | 'service';
export const DEVICE_CA_CHOICES: readonly DeviceCaChoice[] = ['ec256', 'service'];

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN: Record<ServiceName, string> = {
  manufacturer: join(REPO, 'services/manufacturer/bin/fdo-manufacturer.js'),
  rendezvous: join(REPO, 'services/rendezvous/bin/fdo-rendezvous.js'),
  owner: join(REPO, 'services/owner/bin/fdo-owner.js'),
};

export const DEFAULT_POSTGRES_URL =
  process.env.FDO_BENCH_POSTGRES_URL ??
  process.env.FDO_TEST_POSTGRES_URL ??
  'postgresql://postgres@127.0.0.1:5432/postgres';

/** One running server process. */
export interface ServerProcess {
  service: ServiceName;
  url: string;
  pid: number;
  child: ChildProcess;
}

/** Where the load generator sends each protocol, and what it needs to drive them. */
export interface Deployment {
  manufacturer: string[];
  rendezvous: string[];
  owner: string[];
  /** Management-API tokens (admin), for the voucher export and import. */
  manufacturerToken: string | undefined;
  ownerToken: string | undefined;
  /** The owner private key TO0 signs with (the key the manufacturer extends vouchers to). */
  ownerKey: PrivateKeyDer | undefined;
  /** Database URL of each service started here. */
  databases: Partial<Record<ServiceName, string>>;
  /** Server processes whose CPU is attributed (empty against external servers). */
  processes: ServerProcess[];
  /** Stops what was started and removes its data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  db: DatabaseKind;
  postgresUrl?: string;
  /** Instances of each service (several instances share one database). */
  instances?: number;
  /** Keep the data folder and databases (for a look afterwards). */
  keep?: boolean;
  /** The manufacturer's device CA (default ec256). */
  deviceCa?: DeviceCaChoice;
  /** Pin every service to these CPUs (`taskset -c`), away from the load generator. */
  serverCpus?: string;
  /** Extra environment for every service (e.g. FDO_LOG_LEVEL). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitHealthy(server: ServerProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) {
      throw new Error(`${server.service} exited with code ${server.child.exitCode}:\n${output()}`);
    }
    try {
      const res = await fetch(`${server.url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${server.service} did not become healthy:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startProcess(
  service: ServiceName,
  port: number,
  env: Record<string, string>,
  cpus: string | undefined,
): ServerProcess {
  // FDO_BENCH_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: profile the servers, not the load generator.
  const nodeArgs = (process.env.FDO_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const command = [process.execPath, ...nodeArgs, BIN[service], 'serve'];
  // taskset execs the command: the child's PID is the service's, as /proc accounting needs.
  if (cpus !== undefined) command.unshift('taskset', '-c', cpus);
  const child = spawn(command[0]!, command.slice(1), {
    env: {
      ...process.env,
      FDO_LOG_LEVEL: 'warn',
      FDO_LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { service, url: `http://127.0.0.1:${port}`, pid: child.pid!, child };
}

/**
 * Starts rendezvous, owner and manufacturer (in that order: the manufacturer puts the rendezvous
 * address in vouchers and extends them to the owner key). One owner key (P-256) is made here and
 * given to the owner as its ec256 key file, its public half to the manufacturer.
 */
export async function startServices(options: StartOptions): Promise<Deployment> {
  const instances = options.instances ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'fdo-bench-'));
  const dbTag = `fdo_bench_${randomBytes(4).toString('hex')}`;
  const pgUrl = options.postgresUrl ?? DEFAULT_POSTGRES_URL;
  const databases: string[] = [];
  const databaseUrl = async (service: ServiceName): Promise<string> => {
    if (options.db === 'sqlite') return `file:${join(dir, `${service}.db`)}`;
    const name = `${dbTag}_${service}`;
    await adminQuery(pgUrl, `CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(pgUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };

  const processes: ServerProcess[] = [];
  const outputs = new Map<ServerProcess, string[]>();
  const spawnAll = async (service: ServiceName, env: (port: number, i: number) => Record<string, string>) => {
    const started: ServerProcess[] = [];
    for (let i = 0; i < instances; i++) {
      const port = await freePort();
      const p = startProcess(service, port, { ...options.env, ...env(port, i) }, options.serverCpus);
      const lines: string[] = [];
      outputs.set(p, lines);
      const keep = (chunk: Buffer) => {
        lines.push(chunk.toString());
        if (lines.length > 50) lines.shift();
      };
      p.child.stdout!.on('data', keep);
      p.child.stderr!.on('data', keep);
      processes.push(p);
      started.push(p);
      // The first instance applies the migrations; the others start on a ready schema.
      await waitHealthy(p, () => lines.join(''));
    }
    options.log?.(`${service}: ${started.map((p) => `${p.url} (pid ${p.pid})`).join(', ')}`);
    return started;
  };

  const stop = async () => {
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null) return resolve();
            p.child.once('exit', () => resolve());
            p.child.kill('SIGTERM');
          }),
      ),
    );
    if (options.keep) {
      options.log?.(`kept ${dir}${databases.length > 0 ? ` and databases ${databases.join(', ')}` : ''}`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
    for (const name of databases) await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };

  try {
    const ownerKey = generateKeyPair('ec256').privateKey;
    const ownerKeysDir = join(dir, 'owner', 'keys');
    mkdirSync(ownerKeysDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(ownerKeysDir, 'owner-ec256.key.pem'), privateKeyToPem(ownerKey), { mode: 0o600 });
    const ownerPublicPem = join(dir, 'owner-public.pem');
    writeFileSync(ownerPublicPem, publicKeyToPem(publicKeyOf(ownerKey)));

    const rvDb = await databaseUrl('rendezvous');
    const rendezvous = await spawnAll('rendezvous', (port, i) => ({
      FDO_RV_PORT: String(port),
      FDO_RV_DATA_DIR: join(dir, `rendezvous-${i}`),
      FDO_RV_DATABASE_URL: rvDb,
      // Every simulated device comes from 127.0.0.1: the per-source limit would measure itself.
      FDO_RV_RATE_LIMIT_PER_SECOND: '0',
    }));
    const ownerDb = await databaseUrl('owner');
    const ownerPorts: number[] = [];
    const owner = await spawnAll('owner', (port, i) => {
      ownerPorts.push(port);
      return {
        FDO_OWNER_PORT: String(port),
        FDO_OWNER_DATA_DIR: join(dir, `owner-${i}`),
        FDO_OWNER_KEYS_DIR: ownerKeysDir,
        FDO_OWNER_DATABASE_URL: ownerDb,
        FDO_OWNER_KEY_TYPES: 'ec256',
        FDO_OWNER_TO2_ADDRESSES: `http://127.0.0.1:${port}`,
        // The load generator runs TO0 itself, so that it is measured like the other protocols.
        FDO_OWNER_TO0_ENABLED: 'false',
        FDO_OWNER_RATE_LIMIT_PER_SECOND: '0',
      };
    });
    const deviceCaEnv: Record<string, string> = {};
    if ((options.deviceCa ?? 'ec256') === 'ec256') {
      const caKey = generateKeyPair('ec256').privateKey;
      const caDir = join(dir, 'device-ca');
      mkdirSync(caDir, { recursive: true, mode: 0o700 });
      deviceCaEnv.FDO_MFG_DEVICE_CA_KEY = join(caDir, 'device-ca.key.pem');
      deviceCaEnv.FDO_MFG_DEVICE_CA_CERT = join(caDir, 'device-ca.crt.pem');
      writeFileSync(deviceCaEnv.FDO_MFG_DEVICE_CA_KEY, privateKeyToPem(caKey), { mode: 0o600 });
      const caCert = await createSelfSignedCa({ privateKey: caKey, subject: 'CN=FDO bench device CA P-256' });
      writeFileSync(deviceCaEnv.FDO_MFG_DEVICE_CA_CERT, certificatesToPem([caCert]));
    }
    const mfgDb = await databaseUrl('manufacturer');
    const manufacturer = await spawnAll('manufacturer', (port, i) => ({
      FDO_MFG_PORT: String(port),
      FDO_MFG_DATA_DIR: join(dir, `manufacturer-${i}`),
      FDO_MFG_KEYS_DIR: join(dir, 'manufacturer-keys'),
      FDO_MFG_DATABASE_URL: mfgDb,
      FDO_MFG_KEY_TYPES: 'ec256',
      FDO_MFG_RV: rendezvous[0]!.url,
      FDO_MFG_OWNER_KEY: ownerPublicPem,
      ...deviceCaEnv,
    }));
    const token = (service: string) => readFileSync(join(dir, `${service}-0`, 'admin-token'), 'utf8').trim();
    return {
      manufacturer: manufacturer.map((p) => p.url),
      rendezvous: rendezvous.map((p) => p.url),
      owner: owner.map((p) => p.url),
      manufacturerToken: token('manufacturer'),
      ownerToken: token('owner'),
      ownerKey,
      databases: { rendezvous: rvDb, owner: ownerDb, manufacturer: mfgDb },
      processes,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
