/**
 * Test fixtures for the rendezvous protocols (TO0, TO1): devices with a real CA-issued certificate,
 * vouchers extended to an owner, in-memory implementations of the rendezvous state interfaces, and a
 * transport that calls a responder directly. Used by the protocol tests and the rendezvous service tests.
 */
import { decode, equal, toHex } from '../../../src/cbor/index.js';
import { generateKeyPair, nodeCrypto, type KeyKind, type KeyPair } from '../../../src/crypto/index.js';
import { FdoError } from '../../../src/errors.js';
import { FdoPeerError, type FdoReply, type FdoTransport } from '../../../src/phases/transport.js';
import type {
  ConsumedNonce,
  RegistrationLookup,
  RegisterOutcome,
  RegistrationStore,
  Responder,
  RvRedirectRecord,
  RvRegistration,
  SessionSealer,
  To1ReplayGuard,
} from '../../../src/phases/index.js';
import { DeviceCredential } from '../../../src/types/device-credential.js';
import { errorMessageFrom } from '../../../src/types/error-message.js';
import { formatGuid, newGuid, type Guid } from '../../../src/types/guid.js';
import { Hash, HMac, hashAlgFor } from '../../../src/types/hash.js';
import { OVHeader } from '../../../src/types/ov-header.js';
import { PublicKey } from '../../../src/types/public-key.js';
import { RendezvousInfo } from '../../../src/types/rv-info.js';
import { extendVoucher, OwnershipVoucher, certChainHash } from '../../../src/voucher/index.js';
import { encode } from '../../../src/cbor/codec.js';
import { issueTestCertificate } from './certificates.js';
import { publicKeyInfo } from '../../../src/crypto/keys.js';

/** A fresh signing key pair of the given kind. */
export const keyPair = generateKeyPair;

export interface TestCa {
  key: KeyPair;
  name: string;
  /** Self-signed CA certificate, DER. */
  cert: Uint8Array;
}

export async function makeCa(kind: KeyKind = 'ec256', name = 'Test Device CA'): Promise<TestCa> {
  const key = generateKeyPair(kind);
  const cert = issueTestCertificate({ subject: name, subjectKey: key, issuer: name, issuerKey: key, ca: true });
  return { key, name, cert };
}

export interface TestDevice {
  guid: Guid;
  deviceKey: KeyPair;
  /** OVDevCertChain: the device certificate, then the CA certificate. */
  certChain: Uint8Array[];
  ca: TestCa;
  manufacturerKey: KeyPair;
  ownerKey: KeyPair;
  /** The voucher, extended once, to the owner key. */
  voucher: OwnershipVoucher;
  /** The voucher as DI made it (no entries). */
  unextended: OwnershipVoucher;
  credential: DeviceCredential;
}

export interface MakeDeviceOptions {
  /** Owner and manufacturer key kind (§3.4.2: one key type per voucher). Default ec256. */
  ownerKind?: KeyKind;
  deviceKind?: KeyKind;
  ca?: TestCa;
  manufacturerKey?: KeyPair;
  ownerKey?: KeyPair;
}

/** A device as DI leaves it, with its voucher extended to an owner. */
export async function makeDevice(options: MakeDeviceOptions = {}): Promise<TestDevice> {
  const ownerKind = options.ownerKind ?? 'ec256';
  const deviceKind = options.deviceKind ?? 'ec256';
  const ca = options.ca ?? (await makeCa());
  const deviceKey = keyPair(deviceKind);
  const guid = newGuid(nodeCrypto);
  const deviceCert = issueTestCertificate({
    subject: `device ${formatGuid(guid)}`,
    subjectKey: deviceKey,
    issuer: ca.name,
    issuerKey: ca.key,
  });
  const certChain = [deviceCert, ca.cert];
  const manufacturerKey = options.manufacturerKey ?? keyPair(ownerKind);
  const ownerKey = options.ownerKey ?? keyPair(ownerKind);
  const mfgPublic = PublicKey.fromDer(manufacturerKey.publicKey);
  const alg = hashAlgFor(publicKeyInfo(deviceKey.publicKey), publicKeyInfo(manufacturerKey.publicKey));
  const header = OVHeader.create({
    guid,
    rvInfo: RendezvousInfo.fromUrls('http://127.0.0.1:8040'),
    deviceInfo: 'rv-test-device',
    publicKey: mfgPublic,
    certChainHash: certChainHash(nodeCrypto, alg, certChain),
  });
  const hmacSecret = nodeCrypto.randomBytes(alg === 'SHA-384' ? 48 : 32);
  const hmac = HMac.compute(nodeCrypto, alg, hmacSecret, header.bytes);
  const unextended = OwnershipVoucher.create({ header, hmac, certChain });
  const voucher = extendVoucher(
    nodeCrypto,
    unextended,
    manufacturerKey.privateKey,
    PublicKey.fromDer(ownerKey.publicKey),
  );
  const credential = new DeviceCredential({
    active: true,
    protVer: 101,
    hmacSecret,
    deviceInfo: 'rv-test-device',
    guid,
    rvInfo: header.rvInfo,
    pubKeyHash: Hash.compute(nodeCrypto, alg, encode(mfgPublic.toCbor())),
  });
  return { guid, deviceKey, certChain, ca, manufacturerKey, ownerKey, voucher, unextended, credential };
}

/** Seals session state in memory under a random handle (the behaviour a sealer must have, without the crypto). */
export class MemorySealer implements SessionSealer {
  readonly #states = new Map<string, { state: Uint8Array; expiresAt: number }>();
  constructor(readonly now: () => number = Date.now) {}

  seal(state: Uint8Array, ttlSeconds: number): string {
    const handle = toHex(nodeCrypto.randomBytes(16));
    this.#states.set(handle, { state, expiresAt: this.now() + ttlSeconds * 1000 });
    return handle;
  }

  open(token: string): Uint8Array {
    const entry = this.#states.get(token);
    if (entry === undefined) throw new Error('unknown token');
    if (entry.expiresAt <= this.now()) throw new Error('the token has expired');
    return entry.state;
  }
}

/** Registrations and spent nonces in memory, with the store contracts' semantics. */
export class MemoryRegistry implements RegistrationStore, RegistrationLookup, To1ReplayGuard {
  readonly registrations = new Map<string, RvRegistration>();
  readonly usedNonces = new Map<string, Date>();

  async register(registration: RvRegistration, nonce: ConsumedNonce): Promise<RegisterOutcome> {
    if (!(await this.consume(nonce.nonce, nonce.expiresAt))) return { stored: false, reason: 'nonce-used' };
    const held = this.registrations.get(toHex(registration.guid));
    const extendsHeld =
      held === undefined ||
      held.expiresAt <= registration.registeredAt ||
      (toHex(held.voucherHeaderHash) === toHex(registration.voucherHeaderHash) &&
        registration.entryHashes.some((h) => toHex(h) === toHex(held.voucherEntryHash)));
    if (!extendsHeld) {
      return {
        stored: false,
        reason: 'held-by-another-voucher',
        until: held.expiresAt,
        ownerKeyFingerprint: held.ownerKeyFingerprint,
      };
    }
    this.registrations.set(toHex(registration.guid), registration);
    return { stored: true };
  }

  async lookup(guid: Guid): Promise<RvRedirectRecord | null> {
    return this.registrations.get(toHex(guid)) ?? null;
  }

  async consume(nonce: Uint8Array, expiresAt: Date): Promise<boolean> {
    const key = toHex(nonce);
    if (this.usedNonces.has(key)) return false;
    this.usedNonces.set(key, expiresAt);
    return true;
  }
}

/**
 * A transport that hands each message to a responder in-process, keeping the session token as the
 * HTTP transport does; FdoErrors become FdoPeerError, exactly as message 255 would.
 */
export class LoopbackTransport implements FdoTransport {
  token: string | undefined;
  readonly sent: { msgType: number; body: Uint8Array; token: string | undefined }[] = [];
  constructor(readonly responder: Responder) {}

  async send(msgType: number, body: Uint8Array): Promise<FdoReply> {
    this.sent.push({ msgType, body, token: this.token });
    try {
      const res = await this.responder({ msgType, body, token: this.token });
      if (res.token !== undefined) this.token = res.token;
      return { msgType: res.msgType, body: res.body };
    } catch (err) {
      if (!(err instanceof FdoError)) throw err;
      throw new FdoPeerError(errorMessageFrom(err, msgType));
    }
  }
}

/** True when two byte strings are equal (for t.ok). */
export const same = (a: Uint8Array, b: Uint8Array): boolean => equal(a, b);
export { decode };
