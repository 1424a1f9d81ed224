/**
 * Which key exchange goes with which keys (FDO 1.1 §3.6.5 "Key Exchange and FIDO Device Onboard
 * Crypto Mapping"). The owner attestation key decides the suite family and size:
 *
 *   | Device attestation | Owner attestation | Key exchange                               |
 *   |--------------------|-------------------|--------------------------------------------|
 *   | P-256              | RSA2048           | DHKEXid14 / ASYMKEX2048                    |
 *   | P-384              | RSA2048           | DHKEXid14 / ASYMKEX2048 (not recommended)  |
 *   | P-256              | RSA3072           | DHKEXid15 / ASYMKEX3072 (not recommended)  |
 *   | P-384              | RSA3072           | DHKEXid15 / ASYMKEX3072                    |
 *   | P-256              | P-256             | ECDH256                                    |
 *   | P-384              | P-256             | ECDH256 (not recommended)                  |
 *   | P-256              | P-384             | ECDH384 (not recommended)                  |
 *   | P-384              | P-384             | ECDH384                                    |
 *
 * The spec says nothing of RSA device keys; like go-fdo (`kex/suite.go`) we do not restrict them
 * beyond the owner key's column, and mark such pairings not recommended.
 */
import { InvalidMessageError } from '../errors.js';
import type { KeyInfo } from '../crypto/keys.js';
import { kexSuite, type KexSuite, type KexSuiteName } from './suites.js';

export type KexPairing =
  { readonly allowed: true; readonly recommended: boolean } | { readonly allowed: false; readonly reason: string };

/** The suites an owner key admits (§3.6.5, owner column). */
function suitesForOwner(owner: KeyInfo): readonly KexSuiteName[] {
  if (owner.kind === 'ec') return owner.curve === 'P-256' ? ['ECDH256'] : ['ECDH384'];
  if (owner.bits === 2048) return ['DHKEXid14', 'ASYMKEX2048'];
  if (owner.bits === 3072) return ['DHKEXid15', 'ASYMKEX3072'];
  return [];
}

const describe = (k: KeyInfo): string => (k.kind === 'ec' ? `ECDSA ${k.curve}` : `RSA-${k.bits}`);

/** Whether `suite` may be used with these device and owner attestation keys. */
export function kexPairing(suite: KexSuite | KexSuiteName, device: KeyInfo, owner: KeyInfo): KexPairing {
  const s = typeof suite === 'string' ? kexSuite(suite) : suite;
  const allowed = suitesForOwner(owner);
  if (!allowed.includes(s.name)) {
    const options = allowed.length === 0 ? 'none' : allowed.join(' or ');
    return {
      allowed: false,
      reason: `${s.name} cannot be used with a ${describe(owner)} owner key (FDO 1.1 §3.6.5 allows ${options})`,
    };
  }
  // Recommended when device and owner strength match: P-256 with 2048-bit/P-256, P-384 with 3072-bit/P-384.
  const strong = s.name === 'ECDH384' || s.name === 'DHKEXid15' || s.name === 'ASYMKEX3072';
  const recommended = device.kind === 'ec' && (device.curve === 'P-384') === strong;
  return { allowed: true, recommended };
}

/** The suites an owner key allows (whatever the device key: it only changes whether they are recommended). */
export function allowedKexSuites(owner: KeyInfo): KexSuiteName[] {
  return [...suitesForOwner(owner)];
}

/**
 * Owner side of TO2.HelloDevice (§5.5.1): the suite named by the device, checked against the keys.
 * Unknown names are MessageBodyError; a known suite the keys do not allow is InvalidMessageError.
 */
export function checkKexSuite(name: string, device: KeyInfo, owner: KeyInfo): KexSuite {
  const suite = kexSuite(name);
  const pairing = kexPairing(suite, device, owner);
  if (!pairing.allowed) throw new InvalidMessageError(pairing.reason);
  return suite;
}
