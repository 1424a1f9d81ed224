/**
 * The services as child processes, started by their own CLIs (`<bin> serve`) with their environment
 * configuration, logging JSON to a file: what an operator runs, and what a test can SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const BINS = {
  manufacturer: join(root, 'services/manufacturer/bin/fdo-manufacturer.js'),
  rendezvous: join(root, 'services/rendezvous/dist/server.js'),
  owner: join(root, 'services/owner/bin/fdo-owner.js'),
} as const;

/** A free loopback port (a service must know its own address before it listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  logFile: string;
  log(): string;
  /** Ends the process with `signal` and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `service` with `env` on `port`, logging to `logFile`; resolves once /health answers. */
export async function spawnService(
  service: keyof typeof BINS,
  port: number,
  env: Record<string, string>,
  logFile: string,
): Promise<ServiceProcess> {
  const fd = openSync(logFile, 'a');
  const args = service === 'rendezvous' ? [BINS[service]] : [BINS[service], 'serve'];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', FDO_LOG_FORMAT: 'json', FDO_LOG_LEVEL: 'trace', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${service} exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${service} did not start: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
