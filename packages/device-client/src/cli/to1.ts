/**
 * `fdo-device to1`: asks the rendezvous server where this device's owner is (TO1, FDO 1.1 §5.4) and
 * prints the owner's TO2 addresses, one URL per line (`--json` for the whole answer).
 *
 *   fdo-device to1 --credential FILE [--rv URL]... [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatGuid, readFdoRsCredential } from '@fdo/protocol';
import { CREDENTIAL_FILE_MAGIC, decodeCredentialFile, type DeviceCredentialFile } from '../credential-file.js';
import { runDeviceTo1 } from '../to1.js';
import { UsageError, type CliIo } from './io.js';

export const TO1_USAGE = `fdo-device to1 --credential FILE [--rv URL]... [--json]
  Asks the rendezvous server where this device's owner is and prints the owner's addresses.
  --rv URL asks this rendezvous server instead of those in the credential (repeatable).
  FILE is this client's credential file, or an fdo-rs/go-fdo dc.bin.`;

/** Our credential file, or the fdo-rs/go-fdo `dc.bin` layout (credential and device key) for interop. */
export function loadAnyCredential(path: string): DeviceCredentialFile {
  const bytes = new Uint8Array(readFileSync(path));
  if (Buffer.from(bytes).includes(CREDENTIAL_FILE_MAGIC)) return decodeCredentialFile(bytes, path);
  const { credential, privateKey } = readFdoRsCredential(bytes, path);
  return { credential, privateKey };
}

export async function to1Command(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      credential: { type: 'string' },
      rv: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`to1: unexpected argument "${positionals[0]}"`);
  if (values.credential === undefined) throw new UsageError('to1: --credential FILE is required');
  const { credential, privateKey } = loadAnyCredential(values.credential);
  const result = await runDeviceTo1({
    credential,
    deviceKey: privateKey,
    ...(values.rv === undefined ? {} : { rendezvousUrls: values.rv }),
  });
  const urls = result.addresses.map((a) => a.toUrl());
  if (values.json) {
    const out = { guid: formatGuid(credential.guid), rendezvous: result.rendezvousUrl, owner: urls };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stderr(`device ${formatGuid(credential.guid)}: redirected by ${result.rendezvousUrl}\n`);
    io.stdout(urls.map((u) => `${u}\n`).join(''));
  }
  return 0;
}
