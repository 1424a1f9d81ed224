/**
 * `fdo-device di`: Device Initialize against a manufacturer, writing the device credential file.
 *
 *   fdo-device di --manufacturer URL --serial S [--device-info TEXT]
 *                 [--key ec256|ec384|rsa2048|rsa3072] --credential FILE [--force]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatGuid, type KeyKind } from '@fdo/protocol';
import { writeCredentialFile } from '../credential-file.js';
import { deviceInitialize } from '../di.js';
import { UsageError, type CliIo } from './io.js';

const KEY_KINDS: readonly string[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];

export const DI_USAGE = `fdo-device di --manufacturer URL --serial S [--device-info TEXT]
              [--key ec256|ec384|rsa2048|rsa3072] --credential FILE [--force]
  Runs Device Initialize and writes the device credential (mode 0600). An existing FILE is
  replaced only with --force.`;

export async function diCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      manufacturer: { type: 'string' },
      serial: { type: 'string' },
      'device-info': { type: 'string' },
      key: { type: 'string', default: 'ec256' },
      credential: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`di: unexpected argument "${positionals[0]}"`);
  if (values.manufacturer === undefined) throw new UsageError('di: --manufacturer URL is required');
  if (values.serial === undefined || values.serial === '') throw new UsageError('di: --serial is required');
  if (values.credential === undefined) throw new UsageError('di: --credential FILE is required');
  if (!KEY_KINDS.includes(values.key)) throw new UsageError(`di: --key must be one of ${KEY_KINDS.join(', ')}`);
  try {
    new URL(values.manufacturer);
  } catch {
    throw new UsageError(`di: --manufacturer "${values.manufacturer}" is not a URL such as http://127.0.0.1:8039`);
  }
  // Refuse before DI rather than after: a device that cannot keep its credential should not get a voucher.
  if (!values.force && existsSync(values.credential)) {
    io.stderr(`${values.credential} already holds a credential; use --force to replace it\n`);
    return 1;
  }
  const result = await deviceInitialize({
    manufacturerUrl: values.manufacturer,
    serialNumber: values.serial,
    ...(values['device-info'] === undefined ? {} : { deviceInfo: values['device-info'] }),
    keyKind: values.key as KeyKind,
  });
  writeCredentialFile(values.credential, result, { force: values.force });
  io.stdout(`DI done: GUID ${formatGuid(result.credential.guid)}, credential written to ${values.credential}\n`);
  return 0;
}
