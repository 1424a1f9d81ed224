/**
 * `fdo-device show`: what a device credential file holds (FDO 1.1 §3.4.1), without its secrets.
 *
 *   fdo-device show --credential FILE [--json]
 */
import { parseArgs } from 'node:util';
import { formatGuid, privateKeyInfo, publicKeyOf, nodeCrypto, toHex, type KeyInfo } from '@fdo/protocol';
import { loadAnyCredential } from './to1.js';
import { UsageError, type CliIo } from './io.js';

export const SHOW_USAGE = `fdo-device show --credential FILE [--json]
  Prints the credential's GUID, RV info, device info, device key type and DCPubKeyHash (the hash
  of the manufacturer key before onboarding, of the owner key after). Never prints the secrets.`;

function keyText(info: KeyInfo): string {
  return info.kind === 'ec' ? `EC ${info.curve}` : `RSA ${info.bits}`;
}

export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { credential: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`show: unexpected argument "${positionals[0]}"`);
  if (values.credential === undefined) throw new UsageError('show: --credential FILE is required');
  const { credential: c, privateKey } = loadAnyCredential(values.credential);
  const spki = publicKeyOf(privateKey).spki;
  const facts = {
    guid: formatGuid(c.guid),
    active: c.active,
    protocolVersion: c.protVer,
    deviceInfo: c.deviceInfo,
    rendezvousInfo: c.rvInfo.describe(),
    deviceKey: keyText(privateKeyInfo(privateKey)),
    /** SHA-256 of the device public key's SubjectPublicKeyInfo: matches the voucher's device certificate. */
    deviceKeySha256: toHex(nodeCrypto.digest('SHA-256', spki)),
    ownerKeyHash: { alg: c.pubKeyHash.alg, value: toHex(c.pubKeyHash.value) },
    hmacSecretBytes: c.hmacSecret.length,
  };
  if (values.json) {
    io.stdout(`${JSON.stringify(facts, null, 2)}\n`);
    return 0;
  }
  const rv = facts.rendezvousInfo.length === 0 ? ['(none)'] : facts.rendezvousInfo.map((d, i) => `${i + 1}. ${d}`);
  const rows: [string, string][] = [
    ['GUID', facts.guid],
    ['active', String(facts.active)],
    ['protocol', String(facts.protocolVersion)],
    ['device info', facts.deviceInfo],
    ...rv.map((line, i): [string, string] => [i === 0 ? 'RV info' : '', line]),
    ['device key', `${facts.deviceKey}, SPKI SHA-256 ${facts.deviceKeySha256}`],
    ['owner key hash', `${facts.ownerKeyHash.alg} ${facts.ownerKeyHash.value} (DCPubKeyHash)`],
    ['HMAC secret', `${facts.hmacSecretBytes} bytes`],
  ];
  io.stdout(rows.map(([k, v]) => `${k.padEnd(15)}${v}\n`).join(''));
  return 0;
}
