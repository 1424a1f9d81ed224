/**
 * `to1 --credential FILE`: runs TO1 and prints the owner's TO2 addresses, one URL per line
 * (`--json` for the whole answer). `--rv URL` (repeatable) asks these rendezvous servers instead of
 * the credential's.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DeviceCredential,
  formatGuid,
  privateKeyFromPem,
  readFdoRsCredential,
  type PrivateKeyDer,
} from '@fdo/protocol';
import { runDeviceTo1, To1FailedError } from '../to1.js';

export const TO1_USAGE = `usage: to1 --credential FILE [--key PEM] [--rv URL]... [--json]
  Asks the rendezvous server where this device's owner is, and prints the owner's addresses.
  --credential FILE  the device credential
  --key PEM          the device private key, when the credential file does not hold it
  --rv URL           ask this rendezvous server instead of those in the credential (repeatable)
  --json             print the result as JSON
`;

interface LoadedCredential {
  credential: DeviceCredential;
  deviceKey: PrivateKeyDer;
}

/**
 * Reads a device credential with its key.
 * @NOTE stopgap until the device-client credential file lands: reads the fdo-rs/go-fdo `dc.bin` layout
 * (credential and key), or a CBOR DeviceCredential with the key from `--key`.
 */
function loadCredential(file: string, keyFile: string | undefined): LoadedCredential {
  const bytes = new Uint8Array(readFileSync(file));
  if (keyFile === undefined) {
    const { credential, privateKey } = readFdoRsCredential(bytes, file);
    return { credential, deviceKey: privateKey };
  }
  return {
    credential: DeviceCredential.decode(bytes, file),
    deviceKey: privateKeyFromPem(readFileSync(keyFile, 'utf8')),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      credential: { type: 'string' },
      key: { type: 'string' },
      rv: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

/** The `to1` subcommand; resolves with the exit code (0 redirected, 1 refused or unreachable, 2 usage). */
export async function runTo1Command(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${TO1_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(TO1_USAGE);
    return 0;
  }
  if (values.credential === undefined) {
    process.stderr.write(`error: --credential is required\n${TO1_USAGE}`);
    return 2;
  }
  try {
    const { credential, deviceKey } = loadCredential(values.credential, values.key);
    const result = await runDeviceTo1({
      credential,
      deviceKey,
      ...(values.rv === undefined ? {} : { rendezvousUrls: values.rv }),
    });
    const urls = result.addresses.map((a) => a.toUrl());
    if (values.json === true) {
      const out = { guid: formatGuid(credential.guid), rendezvous: result.rendezvousUrl, owner: urls };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stderr.write(`device ${formatGuid(credential.guid)}: redirected by ${result.rendezvousUrl}\n`);
      process.stdout.write(urls.map((u) => `${u}\n`).join(''));
    }
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${err instanceof To1FailedError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}
