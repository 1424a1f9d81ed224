#!/usr/bin/env node
/**
 * `fdo-voucher`: inspect, verify and extend ownership vouchers (FDO 1.1 §2.7, §3.4.2).
 *
 *   fdo-voucher inspect FILE
 *   fdo-voucher verify FILE [--secret HEX] [--allow-mixed-key-types]
 *   fdo-voucher extend FILE --owner-key PEM --to PUBKEY_PEM [--out FILE] [--allow-mixed-key-types]
 *
 * Exit codes: 0 success, 1 the voucher (or a key) fails, 2 usage error.
 * The logic is in {@link runVoucherCli} so tests run it in-process.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fromHex } from '../cbor/bytes.js';
import { nodeCrypto } from '../crypto/node.js';
import { pemBlocks, PRIVATE_KEY_LABELS, privateKeyFromDer, publicKeyFromPem } from '../crypto/keys.js';
import type { PrivateKeyDer } from '../crypto/provider.js';
import { FdoError } from '../errors.js';
import { PublicKey } from '../types/public-key.js';
import { extendVoucher, readVoucherPem, verifyVoucher, voucherToPem, type VoucherPem } from '../voucher/index.js';
import { OwnershipVoucher } from '../voucher/voucher.js';
import { describeVoucher, fingerprint } from './describe.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: string): void;
}

export const nodeIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readFile: (p) => new Uint8Array(readFileSync(p)),
  writeFile: (p, d) => writeFileSync(p, d),
};

export const USAGE = `Usage:
  fdo-voucher inspect FILE
  fdo-voucher verify FILE [--secret HEX] [--allow-mixed-key-types]
  fdo-voucher extend FILE --owner-key PEM --to PUBKEY_PEM [--out FILE] [--allow-mixed-key-types]

FILE is an OWNERSHIP VOUCHER PEM (several vouchers and a trailing private key allowed) or raw CBOR.
  --secret HEX              the device HMAC secret: also check the header HMAC
  --owner-key PEM           the current owner's private key (default: the key block in FILE)
  --to PUBKEY_PEM           the next owner's PUBLIC KEY or CERTIFICATE chain (leaf first)
  --out FILE                write the extended voucher there instead of stdout
  --allow-mixed-key-types   accept owner keys of another type than the manufacturer key (§3.4.2 forbids)
`;

class UsageError extends Error {}

const OPTIONS = {
  secret: { type: 'string' },
  'owner-key': { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  'allow-mixed-key-types': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the CLI; returns the exit code. */
export function runVoucherCli(argv: string[], io: CliIo = nodeIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command === undefined) return usage(io, 'missing command');
  if (file === undefined) return usage(io, `${command}: missing FILE`);
  if (rest.length > 0) return usage(io, `unexpected argument: ${rest[0]}`);
  const allowMixedKeyTypes = values['allow-mixed-key-types'] === true;
  try {
    switch (command) {
      case 'inspect':
        return inspect(io, file);
      case 'verify':
        return verify(io, file, values.secret, allowMixedKeyTypes);
      case 'extend':
        return extend(io, file, values['owner-key'], values.to, values.out, allowMixedKeyTypes);
      default:
        return usage(io, `unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) return usage(io, err.message);
    io.stderr(`error: ${errorText(err)}\n`);
    return 1;
  }
}

function usage(io: CliIo, message: string): number {
  io.stderr(`fdo-voucher: ${message}\n\n${USAGE}`);
  return 2;
}

function errorText(err: unknown): string {
  if (err instanceof FdoError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** Reads vouchers from PEM text or raw CBOR. */
function loadVouchers(io: CliIo, file: string): VoucherPem {
  const bytes = io.readFile(file);
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN ')) return readVoucherPem(text);
  return { vouchers: [OwnershipVoucher.decode(bytes)], privateKey: null };
}

function inspect(io: CliIo, file: string): number {
  const { vouchers, privateKey } = loadVouchers(io, file);
  vouchers.forEach((ov, i) => {
    if (vouchers.length > 1) io.stdout(`Voucher ${i + 1} of ${vouchers.length}\n`);
    io.stdout(describeVoucher(ov));
  });
  io.stdout(`Private key block:  ${privateKey === null ? 'none' : 'present'}\n`);
  return 0;
}

function verify(io: CliIo, file: string, secretHex: string | undefined, allowMixedKeyTypes: boolean): number {
  let hmacSecret: Uint8Array | undefined;
  if (secretHex !== undefined) {
    try {
      hmacSecret = fromHex(secretHex);
    } catch {
      throw new UsageError('--secret must be hex');
    }
  }
  const { vouchers } = loadVouchers(io, file);
  let failed = 0;
  for (const [i, ov] of vouchers.entries()) {
    const name = vouchers.length > 1 ? `voucher ${i + 1} ` : '';
    try {
      const r = verifyVoucher(nodeCrypto, ov, {
        ...(hmacSecret === undefined ? {} : { hmacSecret }),
        allowMixedKeyTypes,
      });
      io.stdout(
        `OK ${name}${ov.toString()}: ${r.entryCount} entries verified${r.hashAlg === null ? '' : ` (${r.hashAlg})`}, ` +
          `header HMAC ${r.hmacChecked ? 'checked' : 'not checked (no --secret)'}, ` +
          `owner key ${fingerprint(r.ownerPublicKey)}\n`,
      );
    } catch (err) {
      io.stderr(`FAIL ${name}${ov.toString()}: ${errorText(err)}\n`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

function extend(
  io: CliIo,
  file: string,
  ownerKeyFile: string | undefined,
  toFile: string | undefined,
  out: string | undefined,
  allowMixedKeyTypes: boolean,
): number {
  if (toFile === undefined) throw new UsageError('extend: --to PUBKEY_PEM is required');
  const { vouchers, privateKey: bundled } = loadVouchers(io, file);
  if (vouchers.length !== 1) throw new Error(`extend: ${file} holds ${vouchers.length} vouchers; give one`);
  const ov = vouchers[0]!;
  const ownerKey = ownerKeyFile === undefined ? bundled : readPrivateKey(io, ownerKeyFile);
  if (ownerKey === null) throw new UsageError('extend: --owner-key PEM is required (FILE has no private key block)');
  const next = readPublicKey(io, toFile);
  verifyVoucher(nodeCrypto, ov, { allowMixedKeyTypes });
  const extended = extendVoucher(nodeCrypto, ov, ownerKey, next, null, { allowMixedKeyTypes });
  const pem = voucherToPem(extended);
  if (out === undefined) io.stdout(pem);
  else {
    io.writeFile(out, pem);
    io.stderr(`wrote ${out}: ${extended.toString()}\n`);
  }
  return 0;
}

function readPrivateKey(io: CliIo, file: string): PrivateKeyDer {
  const text = Buffer.from(io.readFile(file)).toString('utf8');
  for (const block of pemBlocks(text)) {
    const label = PRIVATE_KEY_LABELS.find((l) => l === block.label);
    if (label !== undefined) return privateKeyFromDer(block.der, label);
  }
  throw new Error(`${file}: no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block`);
}

/** A PUBLIC KEY block (X509 encoding) or CERTIFICATE blocks (X5CHAIN, leaf first). */
function readPublicKey(io: CliIo, file: string): PublicKey {
  const text = Buffer.from(io.readFile(file)).toString('utf8');
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length > 0) return PublicKey.fromCertChain(certs.map((c) => c.der));
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) throw new Error(`${file}: no PUBLIC KEY or CERTIFICATE block`);
  return PublicKey.fromDer(publicKeyFromPem(text));
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = runVoucherCli(process.argv.slice(2));
