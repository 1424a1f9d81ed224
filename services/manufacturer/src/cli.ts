/**
 * `fdo-manufacturer`: run the service, manage its keys and API tokens, and export vouchers from a running
 * instance (through its management API).
 *
 *   fdo-manufacturer serve
 *   fdo-manufacturer tokens create --name NAME --scope read|write|admin[,…] | list | revoke ID
 *   fdo-manufacturer keys list | export [--kind KIND] | generate
 *   fdo-manufacturer vouchers export [--tag TAG] [--from T] [--to T] [--out FILE]
 *   fdo-manufacturer config [--json|--markdown]
 *
 * Configuration comes from the FDO_MFG_* variables (see config.ts; the README lists them).
 * Exit codes: 0 success, 1 failure, 2 usage or configuration error.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { publicKeyToPem } from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import {
  API_TARGET_USAGE,
  apiFetch,
  apiTargetOf,
  CONFIG_USAGE,
  configCommand,
  keysCommand,
  KEYS_USAGE,
  nodeIo,
  Progress,
  runServiceCli,
  tokensCommand,
  TOKENS_USAGE,
  UsageError,
  type CliCommand,
  type CliIo,
} from '@fdo/server-kit';
import { ApiTokenStore, openDatabase } from '@fdo/storage';
import { SERVICE } from './app.js';
import { CONFIG_SCHEMA, ConfigError, loadConfig } from './config.js';
import { loadKeyMaterial } from './keys.js';
import { serve } from './server.js';

export type { CliIo } from '@fdo/server-kit';

export const USAGE = `Usage:
  fdo-manufacturer serve
  fdo-manufacturer ${TOKENS_USAGE.replace(/\n {2}/g, '\n  fdo-manufacturer ')}
  fdo-manufacturer ${KEYS_USAGE.replace(/\n {2}/g, '\n  fdo-manufacturer ')}
  fdo-manufacturer vouchers export [--tag TAG] [--from T] [--to T] [--out FILE] ${API_TARGET_USAGE}
                                                            one PEM bundle from a running manufacturer
  fdo-manufacturer ${CONFIG_USAGE.replace(/\n {2}/g, '\n  fdo-manufacturer ')}

Configuration: FDO_MFG_* environment variables (FDO_MFG_DATA_DIR, FDO_MFG_DATABASE_URL, FDO_MFG_RV, ...).
A running manufacturer is reached at --url, FDO_MFG_URL or its configured address, with --token,
FDO_MFG_TOKEN or the admin token in its data folder.
`;

const VOUCHER_BEGIN = '-----BEGIN OWNERSHIP VOUCHER-----';

/**
 * `vouchers export`: GET /vouchers/export streamed to a file (written beside it, then renamed, so a
 * cut transfer leaves no partial bundle) or to stdout, counting vouchers as they arrive.
 */
function vouchersCommand(env: Record<string, string | undefined>): CliCommand {
  return async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        tag: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...extra] = positionals;
    if (action !== 'export' || extra.length > 0) {
      throw new UsageError(action === undefined ? 'vouchers: missing action' : `vouchers: unknown action "${action}"`);
    }
    const config = loadConfig(env, { logger: false });
    const target = apiTargetOf(values, env, 'FDO_MFG', { ...config, https: config.tls.certFile !== null });
    const query = new URLSearchParams();
    for (const key of ['tag', 'from', 'to'] as const) if (values[key] !== undefined) query.set(key, values[key]);
    const res = await apiFetch(target, `/vouchers/export${query.size === 0 ? '' : `?${query}`}`);
    const progress = new Progress(io, values.out ?? 'export', null, 'vouchers');
    let tail = '';
    let count = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        // The tail keeps less than one whole marker, so a marker split across chunks is counted once.
        const text = tail + chunk.toString('latin1');
        const found = text.split(VOUCHER_BEGIN).length - 1;
        tail = text.slice(-(VOUCHER_BEGIN.length - 1));
        count += found;
        progress.add(found);
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(res.body as WebReadableStream);
    if (values.out === undefined) {
      await pipeline(body, counter, process.stdout as Writable, { end: false });
    } else {
      const partial = `${values.out}.partial`;
      try {
        await pipeline(body, counter, createWriteStream(partial, { mode: 0o644 }));
        renameSync(partial, values.out);
      } catch (err) {
        rmSync(partial, { force: true });
        throw err;
      }
    }
    progress.finish();
    io.stderr(`${count} vouchers exported${values.out === undefined ? '' : ` to ${values.out}`}\n`);
    return 0;
  };
}

/** Runs the CLI; resolves with the exit code (serve resolves once the service listens). */
export function runManufacturerCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const tokens = tokensCommand(async () => {
    const config = loadConfig(env, { logger: false });
    const db = await openDatabase({ url: config.databaseUrl });
    return { store: new ApiTokenStore(db.prisma, SERVICE), close: () => db.close() };
  });
  return runServiceCli(
    {
      name: 'fdo-manufacturer',
      usage: USAGE,
      isConfigError: (err) => err instanceof ConfigError,
      commands: {
        serve: async (args) => {
          if (args.length > 0) throw new UsageError('serve takes no arguments (configure with FDO_MFG_* variables)');
          await serve();
          return 0;
        },
        tokens,
        keys: keysCommand(async () => {
          const config = loadConfig(env, { logger: false });
          const { manufacturerKeys } = await loadKeyMaterial(config);
          return [...manufacturerKeys.values()].map((k) => ({
            kind: k.kind,
            sha256: fingerprint(k.publicKey.spki),
            file: join(config.keysDir, `manufacturer-${k.kind}.key.pem`),
            publicKeyPem: publicKeyToPem(k.publicKey),
          }));
        }),
        vouchers: vouchersCommand(env),
        config: configCommand(CONFIG_SCHEMA, env),
      },
    },
    argv,
    io,
  );
}
