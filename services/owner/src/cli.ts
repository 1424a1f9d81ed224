/**
 * `fdo-owner`: runs the service, manages its keys and management-API tokens, and (through the management
 * API of a running instance) imports vouchers and shows device status.
 *
 *   fdo-owner serve
 *   fdo-owner tokens create --name NAME --scope read[,write,admin] | list | revoke ID
 *   fdo-owner keys list | export [--kind KIND] | generate
 *   fdo-owner vouchers import FILE... [--tag TAG]
 *   fdo-owner devices [GUID] [--state STATE] [--tag TAG] [--json]
 *   fdo-owner config [--json|--markdown]
 *
 * Configuration comes from the FDO_OWNER_* variables (and FDO_OWNER_CONFIG), as for the service.
 * Exit codes: 0 done, 1 failed (or some vouchers rejected), 2 usage or configuration error.
 */
import { createReadStream, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  API_TARGET_USAGE,
  apiJson,
  apiTargetOf,
  CONFIG_USAGE,
  configCommand,
  keysCommand,
  KEYS_USAGE,
  listen,
  nodeIo,
  Progress,
  runServiceCli,
  tokensCommand,
  TOKENS_USAGE,
  UsageError,
  type ApiTarget,
  type CliCommand,
  type CliIo,
} from '@fdo/server-kit';
import { ApiTokenStore, openDatabase } from '@fdo/storage';
import { build, SERVICE } from './app.js';
import { CONFIG_SCHEMA, ConfigError, loadConfig } from './config.js';
import { OwnerKeys, publicKeyPem } from './keys.js';

export type { CliIo } from '@fdo/server-kit';

const prefixed = (usage: string) => usage.replace(/\n {2}/g, '\n  fdo-owner ');

export const USAGE = `Usage:
  fdo-owner serve                                      run the service (FDO_OWNER_* variables configure it)
  fdo-owner ${prefixed(TOKENS_USAGE)}
  fdo-owner ${prefixed(KEYS_USAGE)}
  fdo-owner vouchers import FILE... [--tag TAG]... ${API_TARGET_USAGE}
                                                            import PEM bundles or CBOR vouchers into a running owner
  fdo-owner devices [GUID] [--state STATE] [--tag TAG] [--json] ${API_TARGET_USAGE}
                                                            device status (one device: its timeline)
  fdo-owner ${prefixed(CONFIG_USAGE)}

A running owner is reached at --url, FDO_OWNER_URL or its configured address, with --token, FDO_OWNER_TOKEN
or the admin token in its data folder.
`;

async function serve(args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('serve takes no arguments (configure with FDO_OWNER_* variables)');
  const app = await build();
  const { config } = app.owner;
  await listen(app, config.port, config.host);
  return 0;
}

const targetOptions = { url: { type: 'string' }, token: { type: 'string' } } as const;

function targetOf(env: Record<string, string | undefined>, flags: { url?: string; token?: string }): ApiTarget {
  const config = loadConfig(env, { logger: false });
  return apiTargetOf(flags, env, 'FDO_OWNER', { ...config, https: config.tls.certFile !== null });
}

interface ImportReply {
  imported: number;
  duplicate: number;
  rejected: number;
  results: { index: number; guid: string | null; result: string; reason?: string }[];
}

/** `vouchers import FILE...`: each file streamed to POST /vouchers with a progress display. */
function vouchersCommand(env: Record<string, string | undefined>): CliCommand {
  return async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      options: { ...targetOptions, tag: { type: 'string', multiple: true } },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...files] = positionals;
    if (action !== 'import')
      throw new UsageError(action === undefined ? 'vouchers: missing action' : `vouchers: unknown action "${action}"`);
    if (files.length === 0) throw new UsageError('vouchers import needs at least one file');
    const target = targetOf(env, values);
    const query = (values.tag ?? []).map((t) => `tag=${encodeURIComponent(t)}`).join('&');
    const totals = { imported: 0, duplicate: 0, rejected: 0 };
    for (const file of files) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch (err) {
        throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const progress = new Progress(io, file, size, 'bytes');
      const counted = createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            progress.add(chunk.length);
            done(null, chunk);
          },
        }),
      );
      const cbor = /\.(cbor|ov)$/i.test(file);
      const reply = await apiJson<ImportReply>(target, `/vouchers?details=problems${query === '' ? '' : `&${query}`}`, {
        method: 'POST',
        headers: {
          'content-type': cbor ? 'application/cbor' : 'application/x-pem-file',
          'content-length': String(size),
        },
        body: counted as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      progress.finish();
      for (const r of reply.results.filter((r) => r.result === 'rejected')) {
        io.stdout(`${file}\t#${r.index + 1}\t${r.guid ?? '-'}\trejected\t${r.reason ?? ''}\n`);
      }
      io.stderr(`${file}: ${reply.imported} imported, ${reply.duplicate} duplicate, ${reply.rejected} rejected\n`);
      totals.imported += reply.imported;
      totals.duplicate += reply.duplicate;
      totals.rejected += reply.rejected;
    }
    if (files.length > 1) {
      io.stderr(`total: ${totals.imported} imported, ${totals.duplicate} duplicate, ${totals.rejected} rejected\n`);
    }
    return totals.rejected > 0 ? 1 : 0;
  };
}

interface DeviceJson {
  guid: string;
  state: string;
  stateAt: string;
  deviceInfo: string;
  tags: string[];
  failedStep: string | null;
  failedReason: string | null;
}

/** `devices [GUID]`: a table of devices, or one device with its timeline. */
function devicesCommand(env: Record<string, string | undefined>): CliCommand {
  return async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      options: { ...targetOptions, state: { type: 'string' }, tag: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 1) throw new UsageError(`devices: unexpected argument "${positionals[1]}"`);
    const target = targetOf(env, values);
    const [guid] = positionals;
    if (guid !== undefined) {
      const device = await apiJson<
        DeviceJson & { events?: { at: string; step: string; outcome: string; message: string }[] }
      >(target, `/devices/${encodeURIComponent(guid)}`);
      if (values.json === true) {
        io.stdout(`${JSON.stringify(device, null, 2)}\n`);
        return 0;
      }
      io.stdout(`${device.guid}  ${device.state} since ${device.stateAt}  ${device.deviceInfo}\n`);
      for (const e of device.events ?? [])
        io.stdout(`  ${e.at}  ${e.step.padEnd(18)} ${e.outcome.padEnd(5)} ${e.message}\n`);
      return 0;
    }
    const query = new URLSearchParams({ limit: '1000' });
    if (values.state !== undefined) query.set('state', values.state);
    if (values.tag !== undefined) query.set('tag', values.tag);
    let cursor: string | null = null;
    do {
      if (cursor !== null) query.set('cursor', cursor);
      const page: { devices: DeviceJson[]; nextCursor: string | null } = await apiJson(target, `/devices?${query}`);
      for (const d of page.devices) {
        if (values.json === true) io.stdout(`${JSON.stringify(d)}\n`);
        else {
          const why = d.state === 'failed' ? `  ${d.failedStep ?? ''}: ${d.failedReason ?? ''}` : '';
          io.stdout(`${d.guid}\t${d.state}\t${d.stateAt}\t${d.deviceInfo}\t${d.tags.join(',')}${why}\n`);
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    return 0;
  };
}

/** Runs the command line; resolves with the exit code. */
export function runOwnerCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const tokens = tokensCommand(async () => {
    const config = loadConfig(env);
    const db = await openDatabase({ url: config.databaseUrl });
    return { store: new ApiTokenStore(db.prisma, SERVICE), close: () => db.close() };
  });
  const keys = keysCommand(async () => {
    const owner = await OwnerKeys.load(loadConfig(env, { logger: false }));
    return owner.list().map((k) => ({ kind: k.kind, sha256: k.sha256, file: k.file, publicKeyPem: publicKeyPem(k) }));
  });
  return runServiceCli(
    {
      name: 'fdo-owner',
      usage: USAGE,
      isConfigError: (err) => err instanceof ConfigError,
      commands: {
        serve,
        tokens,
        keys,
        vouchers: vouchersCommand(env),
        devices: devicesCommand(env),
        config: configCommand(CONFIG_SCHEMA, env),
      },
    },
    argv,
    io,
  );
}
