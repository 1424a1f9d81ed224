/**
 * What the operators' command lines share beyond `tokens` (cli.ts): the `keys` command, reaching a
 * running service's management API (URL and token from flags, the environment or the local data
 * folder), and a progress display for long transfers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIo } from './cli.js';

/** One key as `keys list` shows it. */
export interface ListedKey {
  /** Key type, e.g. `ec256`. */
  kind: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex. */
  sha256: string;
  file: string;
  publicKeyPem: string;
}

export const KEYS_USAGE = `keys list                                                 key types, SHA-256 fingerprints and files
  keys export [--kind KIND | --sha256 PREFIX]               public key(s) as PEM, e.g. for a supplier
  keys generate                                             create any configured key that is missing`;

/**
 * `keys list|export|generate`. `loadKeys` reads every configured key, generating (and persisting) missing
 * ones, exactly as the service does at start; private keys never leave it.
 */
export function keysCommand(loadKeys: () => Promise<ListedKey[]>): CliCommand {
  return async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      options: { kind: { type: 'string' }, sha256: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`keys: unexpected argument "${extra[0]}"`);
    if (action !== 'list' && action !== 'export' && action !== 'generate') {
      throw new UsageError(action === undefined ? 'keys: missing action' : `keys: unknown action "${action}"`);
    }
    const keys = await loadKeys();
    if (action === 'export') {
      const chosen = keys.filter(
        (k) =>
          (values.kind === undefined || k.kind === values.kind) &&
          (values.sha256 === undefined || k.sha256.startsWith(values.sha256.toLowerCase())),
      );
      if (chosen.length === 0) {
        io.stderr(
          `no key matches; the keys are: ${keys.map((k) => `${k.kind} ${k.sha256.slice(0, 16)}`).join(', ')}\n`,
        );
        return 1;
      }
      for (const k of chosen) io.stdout(k.publicKeyPem.endsWith('\n') ? k.publicKeyPem : `${k.publicKeyPem}\n`);
      return 0;
    }
    for (const k of keys) io.stdout(`${k.kind}\t${k.sha256}\t${k.file}\n`);
    return 0;
  };
}

/** Where a running service's management API is, and the token to call it with. */
export interface ApiTarget {
  url: string;
  token: string;
}

export const API_TARGET_USAGE = `[--url URL] [--token TOKEN]`;

/**
 * The API target of a command: `--url`, else `<PREFIX>_URL`, else the service's own address from its
 * configuration; `--token`, else `<PREFIX>_TOKEN`, else the first admin token in its data folder (the
 * file `npm start` and the first `serve` write).
 */
export function apiTargetOf(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Record<string, string | undefined>,
  prefix: string,
  service: { host: string; port: number; dataDir: string; https: boolean },
): ApiTarget {
  const host = service.host === '0.0.0.0' || service.host === '::' ? '127.0.0.1' : service.host;
  const url = (
    flags.url ??
    env[`${prefix}_URL`] ??
    `${service.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${service.port}`
  ).replace(/\/+$/, '');
  let token = flags.token ?? env[`${prefix}_TOKEN`];
  if (token === undefined) {
    const file = join(service.dataDir, 'admin-token');
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      throw new UsageError(
        `no API token: pass --token or set ${prefix}_TOKEN (create one with "tokens create"); ${file} was not readable`,
      );
    }
  }
  return { url, token };
}

/**
 * A management API call's response when it succeeded (2xx); otherwise an Error that says what the
 * service answered, or that it could not be reached.
 */
export async function apiFetch(target: ApiTarget, path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${target.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${target.token}`, ...(init.headers as Record<string, string>) },
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Error(`cannot reach ${target.url} (${why}): is the service running? (--url to choose another)`);
  }
  if (res.ok) return res;
  const text = await res.text();
  let reason = text;
  try {
    reason = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not JSON: keep the text
  }
  throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${reason}`);
}

/** A management API call's JSON reply (see {@link apiFetch}). */
export async function apiJson<T>(target: ApiTarget, path: string, init: RequestInit = {}): Promise<T> {
  return (await (await apiFetch(target, path, init)).json()) as T;
}

/**
 * Progress of a long transfer on stderr: a bar redrawn in place on a terminal; otherwise a line at each
 * tenth of the total (or every 5 s without a total), so logs of scripted runs stay short.
 */
export class Progress {
  #done = 0;
  /** What the last line showed: a percentage with a total, an amount without. */
  #shown = -1;
  #shownAt = 0;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number | null,
    private readonly unit: 'bytes' | 'vouchers',
    private readonly tty: boolean = process.stderr.isTTY === true,
  ) {}

  add(n: number): void {
    this.#done += n;
    this.#show(false);
  }

  finish(): void {
    this.#show(true);
    if (this.tty && this.#shown !== -1) this.io.stderr('\n');
  }

  #amount(): string {
    const n = this.#done;
    if (this.unit === 'vouchers') return `${n} vouchers`;
    return n < 1 << 20 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
  }

  #show(final: boolean): void {
    const end = this.tty ? '' : '\n';
    const start = this.tty ? '\r' : '';
    if (this.total !== null && this.total > 0) {
      const pct = Math.min(100, Math.floor((this.#done / this.total) * 100));
      const level = this.tty ? pct : Math.floor(pct / 10) * 10;
      if (level === this.#shown) return;
      this.#shown = level;
      const width = 30;
      const bar = this.tty ? ` [${'#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '.')}]` : ':';
      this.io.stderr(`${start}${this.label}${bar} ${level}% (${this.#amount()})${end}`);
      return;
    }
    const now = Date.now();
    if (this.#done === this.#shown || (!final && now - this.#shownAt < (this.tty ? 100 : 5000))) return;
    this.#shown = this.#done;
    this.#shownAt = now;
    this.io.stderr(`${start}${this.label}: ${this.#amount()}${end}`);
  }
}
