/**
 * `fdo-device onboard`: TO1 then TO2 (FDO 1.1 §5.4, §5.5) from the device credential file, which is
 * replaced by the credential the owner gives (or kept, with credential reuse). Each step is printed
 * on stderr as it happens; a summary (or `--json`) goes to stdout at the end.
 *
 *   fdo-device onboard --credential FILE [--rv URL]... [--owner URL]... [--skip-to1]
 *                      [--kex NAME] [--cipher NAME] [--serial S] [--json]
 *                      [--credentials-dir DIR] [--download-dir DIR] [--allow-command CMD]...
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CIPHER_SUITES, FdoError, KEX_SUITE_NAMES, toHex } from '@fdo/protocol';
import { CredentialFileError } from '../credential-file.js';
import { commandDevice, credentialModules } from '../modules/index.js';
import { CredentialNotSavedError, onboard, type OnboardResult, type OnboardStep } from '../onboard.js';
import { isNotRegistered, To1FailedError } from '../to1.js';
import { isUnknownToOwner, To2FailedError } from '../to2.js';
import { UsageError, type CliIo } from './io.js';

const CIPHER_NAMES = CIPHER_SUITES.map((s) => s.name);

export const ONBOARD_USAGE = `fdo-device onboard --credential FILE [--rv URL]... [--owner URL]... [--skip-to1]
              [--kex ${KEX_SUITE_NAMES.join('|')}]
              [--cipher NAME] [--serial S] [--json]
              [--credentials-dir DIR] [--download-dir DIR] [--allow-command CMD]...
  Runs TO1 and TO2 and replaces FILE with the credential the owner gives (atomically; FILE is
  unchanged if anything fails, and with credential reuse). --rv asks these rendezvous servers
  instead of the credential's; --owner URL (with or without --skip-to1) skips TO1 and runs TO2 there.
  --kex default: ECDH256 (P-256 device key) or ECDH384 (P-384); an RSA owner needs DHKEX or ASYMKEX.
  --cipher NAME: ${CIPHER_NAMES.slice(0, 5).join(', ')},
                 ${CIPHER_NAMES.slice(5).join(', ')} (default A128GCM).
  ServiceInfo: fdo.csr and fdo.download are on. A credential profile's set (key.pem, cert.pem,
  ca.pem, config.json) goes to DIR/<profile>/ (--credentials-dir, default "credentials" beside
  FILE); other downloads to --download-dir (default "downloads" beside FILE). fdo.command runs
  only the executables named by --allow-command (none by default), in the download directory.`;

interface Parsed {
  credential: string;
  rv?: string[];
  owner?: string[];
  kex?: string;
  cipher?: number;
  serial?: string;
  json: boolean;
  credentialsDir: string;
  downloadDir: string;
  allowCommands: string[];
}

function checkUrls(urls: readonly string[] | undefined, flag: string): void {
  for (const url of urls ?? []) {
    let scheme: string;
    try {
      scheme = new URL(url).protocol;
    } catch {
      throw new UsageError(`onboard: ${flag} "${url}" is not a URL such as http://127.0.0.1:8042`);
    }
    if (scheme !== 'http:' && scheme !== 'https:') throw new UsageError(`onboard: ${flag} "${url}" is not http(s)`);
  }
}

function parse(args: string[]): Parsed {
  const { values: v, positionals } = parseArgs({
    args,
    options: {
      credential: { type: 'string' },
      rv: { type: 'string', multiple: true },
      owner: { type: 'string', multiple: true },
      'skip-to1': { type: 'boolean', default: false },
      kex: { type: 'string' },
      cipher: { type: 'string' },
      serial: { type: 'string' },
      json: { type: 'boolean', default: false },
      'credentials-dir': { type: 'string' },
      'download-dir': { type: 'string' },
      'allow-command': { type: 'string', multiple: true },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`onboard: unexpected argument "${positionals[0]}"`);
  if (v.credential === undefined) throw new UsageError('onboard: --credential FILE is required');
  if (v['skip-to1'] && v.owner === undefined) throw new UsageError('onboard: --skip-to1 needs --owner URL');
  if (v.owner !== undefined && v.rv !== undefined) {
    throw new UsageError('onboard: --rv (for TO1) and --owner (skipping TO1) exclude each other');
  }
  checkUrls(v.rv, '--rv');
  checkUrls(v.owner, '--owner');
  if (v.kex !== undefined && !(KEX_SUITE_NAMES as readonly string[]).includes(v.kex)) {
    throw new UsageError(`onboard: --kex must be one of ${KEX_SUITE_NAMES.join(', ')}`);
  }
  const cipher = v.cipher === undefined ? undefined : CIPHER_SUITES.find((s) => s.name === v.cipher);
  if (v.cipher !== undefined && cipher === undefined) {
    throw new UsageError(`onboard: --cipher must be one of ${CIPHER_NAMES.join(', ')}`);
  }
  const beside = (name: string) => join(dirname(resolve(v.credential!)), name);
  return {
    credential: v.credential,
    json: v.json,
    credentialsDir: resolve(v['credentials-dir'] ?? beside('credentials')),
    downloadDir: resolve(v['download-dir'] ?? beside('downloads')),
    allowCommands: v['allow-command'] ?? [],
    ...(v.rv === undefined ? {} : { rv: v.rv }),
    ...(v.owner === undefined ? {} : { owner: v.owner }),
    ...(v.kex === undefined ? {} : { kex: v.kex }),
    ...(cipher === undefined ? {} : { cipher: cipher.id }),
    ...(v.serial === undefined ? {} : { serial: v.serial }),
  };
}

/** One stderr line per step. */
export function describeStep(e: OnboardStep): string {
  switch (e.step) {
    case 'to1':
      return `TO1: asking the rendezvous server at ${e.url}`;
    case 'to1-failed':
      return `TO1: ${e.url} failed: ${e.error.message}`;
    case 'redirected':
      return `TO1: redirected by ${e.rendezvousUrl} to ${e.ownerUrls.join(', ') || '(no address)'}`;
    case 'bypass':
      return `RVBypass: the credential names the owner directly (${e.ownerUrls.join(', ')}); no TO1`;
    case 'to2':
      return `TO2: contacting the owner at ${e.url}`;
    case 'to2-failed':
      return `TO2: ${e.url} failed: ${e.error.message}`;
    case 'owner-proven':
      return `TO2: owner proven (voucher with ${e.ovEntries} entr${e.ovEntries === 1 ? 'y' : 'ies'})`;
    case 'setup-device':
      return e.credentialReused
        ? 'TO2: device proven; the owner keeps the current credential (credential reuse)'
        : `TO2: device proven; new GUID ${e.replacementGuid}`;
    case 'service-info-module':
      if (e.active) return `ServiceInfo: module ${e.module} active`;
      return e.requested
        ? `ServiceInfo: module ${e.module} not supported by this device (declined)`
        : `ServiceInfo: module ${e.module} turned off by the owner`;
    case 'done':
      return `TO2: done with ${e.url}`;
    case 'credential-replaced':
      return `credential replaced: ${e.oldGuid} → ${e.newGuid} (${e.file})`;
    case 'credential-kept':
      return `credential kept: ${e.guid} (${e.file} unchanged)`;
  }
}

/** What to do next, for a failure of onboarding. */
export function nextStep(err: unknown): string {
  if (err instanceof To1FailedError) {
    if (err.attempts.length === 0) return 'give a rendezvous server with --rv URL, or the owner with --owner URL';
    if (err.attempts.every((a) => isNotRegistered(a.error))) {
      return 'the owner has not registered this device at the rendezvous server yet (TO0); retry later';
    }
    if (err.attempts.some((a) => isNotRegistered(a.error))) {
      return 'the owner has not registered this device yet (TO0) where it was asked; the others failed; retry later';
    }
    return 'check the network and the rendezvous server addresses (--rv URL), then retry';
  }
  if (err instanceof To2FailedError) {
    if (err.attempts.length > 0 && err.attempts.every((a) => isUnknownToOwner(a.error))) {
      return 'the owner holds no voucher for this device: import it at the owner, then retry';
    }
    // FdoErrors are the device's own refusals; the owner's arrive as FdoPeerError.
    const refusedOwner = err.attempts.some((a) => a.error instanceof FdoError);
    return refusedOwner
      ? 'this device refused the owner (it could not prove this device was sold to it); the credential is unchanged'
      : 'the credential is unchanged; retry later, or name the owner with --owner URL';
  }
  if (err instanceof CredentialNotSavedError) return 'free space or fix permissions where the file lives, then retry';
  if (err instanceof CredentialFileError) return 'check --credential FILE (made by `fdo-device di`)';
  return 'the credential is unchanged; retry';
}

function summary(r: OnboardResult): string {
  const modules = Object.entries(r.serviceInfoResults).map(
    ([name, v]) => `${name} (${(v as { active?: boolean }).active === true ? 'active' : 'not used'})`,
  );
  return [
    `onboarded: GUID ${r.newGuid}${r.credentialReused ? ' (credential reused)' : ` (was ${r.oldGuid})`}`,
    `owner: ${r.ownerUrl}${r.rendezvousUrl === undefined ? ` (${r.route})` : ` (via ${r.rendezvousUrl})`}`,
    `credential: ${r.credentialReused ? 'unchanged' : 'replaced'} in ${r.credentialFile}`,
    `modules: ${modules.length === 0 ? 'none' : modules.join(', ')}`,
  ]
    .map((l) => `${l}\n`)
    .join('');
}

const bytesAsHex = (_key: string, value: unknown) => (value instanceof Uint8Array ? toHex(value) : value);

export async function onboardCommand(args: string[], io: CliIo): Promise<number> {
  const o = parse(args);
  let result: OnboardResult;
  try {
    // fdo.command runs in the download directory: it must exist before the first command.
    if (o.allowCommands.length > 0) await mkdir(o.downloadDir, { recursive: true });
    result = await onboard({
      credentialFile: o.credential,
      ...(o.rv === undefined ? {} : { rendezvousUrls: o.rv }),
      ...(o.owner === undefined ? {} : { ownerUrls: o.owner }),
      ...(o.kex === undefined ? {} : { kexSuite: o.kex }),
      ...(o.cipher === undefined ? {} : { cipherSuite: o.cipher }),
      ...(o.serial === undefined ? {} : { serialNumber: o.serial }),
      serviceInfoModules: [
        ...credentialModules({ credentialsDir: o.credentialsDir, downloadDir: o.downloadDir }),
        ...(o.allowCommands.length === 0 ? [] : [commandDevice({ allow: o.allowCommands, cwd: o.downloadDir })]),
      ],
      onStep: (e) => io.stderr(`${describeStep(e)}\n`),
    });
  } catch (err) {
    io.stderr(`fdo-device onboard: failed: ${(err as Error).message}\n  next: ${nextStep(err)}\n`);
    return 1;
  }
  io.stdout(o.json ? `${JSON.stringify(result, bytesAsHex, 2)}\n` : summary(result));
  return 0;
}
