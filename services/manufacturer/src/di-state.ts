/**
 * The manufacturer's side of DI (FDO 1.1 §5.2) behind the protocol's DiManufacturerState: its keys,
 * device CA, rendezvous info and customer owner keys, with sessions and vouchers in the database.
 *
 * Sessions are database rows keyed by the SHA-256 of a random bearer token, so any instance sharing
 * the database can serve a device's DI.SetHMAC, the token is useless to someone who reads the
 * database, and a session is spent exactly once (deleted in the transaction that stores the voucher).
 */
import { createHash } from 'node:crypto';
import {
  decode,
  encode,
  extendVoucher,
  formatGuid,
  InvalidMessageError,
  InvalidTokenError,
  keyClass,
  keyKindOf,
  OVHeader,
  read,
  type CryptoProvider,
  type DeviceCertificateRequest,
  type DeviceMfgInfo,
  type DiManufacturerState,
  type DiSession,
  type KeyKind,
  type ManufacturerKey,
  type OwnershipVoucher,
  type PublicKey,
  type RendezvousInfo,
} from '@fdo/protocol';
import { fingerprint, issueCertificate } from '@fdo/protocol/x509';
import type { FastifyBaseLogger } from 'fastify';
import type { KeyMaterial } from './keys.js';
import { ownerKeySha256, tagFor, type OwnerKeyDirectory } from './owner-keys.js';
import type { TagRule } from './config.js';
import type { VoucherStore } from './store/voucher-store.js';

/** A DI session as this service keeps it: what DI needs, and the voucher's batch/order tag. */
export interface MfgSession extends DiSession {
  tag: string | null;
}

export interface ManufacturerDiOptions {
  crypto: CryptoProvider;
  keys: KeyMaterial;
  store: VoucherStore;
  rvInfo: RendezvousInfo;
  ownerKeys: OwnerKeyDirectory;
  tagRules: readonly TagRule[];
  defaultTag: string | null;
  sessionTtlSeconds: number;
  deviceCertValidityDays: number;
  log: FastifyBaseLogger;
}

/** Expired sessions are swept at most this often per instance. */
const SWEEP_INTERVAL_MS = 60_000;

const sessionId = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export class ManufacturerDiState implements DiManufacturerState<MfgSession> {
  #lastSweep = 0;

  constructor(private readonly o: ManufacturerDiOptions) {}

  manufacturerKey(kind: KeyKind): ManufacturerKey | null {
    const key = this.o.keys.manufacturerKeys.get(kind);
    return key === undefined ? null : { publicKey: key.publicKey, certChain: key.certChain };
  }

  /** A device certificate for the CSR's key, subject CN = serial number, issued by the device CA. */
  async issueDeviceCertificate({ csr, mfgInfo }: DeviceCertificateRequest): Promise<Uint8Array[]> {
    const ca = this.o.keys.deviceCa;
    const leaf = await issueCertificate({
      issuer: { privateKey: ca.privateKey, certificate: ca.chain[0]! },
      publicKey: csr.publicKey,
      subject: [{ CN: [mfgInfo.serialNumber] }],
      validityDays: this.o.deviceCertValidityDays,
    });
    return [leaf, ...ca.chain];
  }

  rendezvousInfo(): RendezvousInfo {
    return this.o.rvInfo;
  }

  async createSession(session: DiSession, mfgInfo: DeviceMfgInfo): Promise<string> {
    const tag = tagFor(mfgInfo.serialNumber, this.o.tagRules, this.o.defaultTag);
    // Refuse now, before the device keeps a credential, a device whose voucher could not go to its customer.
    if (this.o.ownerKeys.forVoucher(tag, session.header.publicKey) === null) {
      throw new InvalidMessageError(
        `DI.AppStart: vouchers ${tag === null ? 'without a tag' : `of tag "${tag}"`} go to customer owner keys, none of which is ${keyClass(session.header.publicKey)} like this device's key`,
      );
    }
    const token = Buffer.from(this.o.crypto.randomBytes(32)).toString('base64url');
    const now = Date.now();
    await this.o.store.createSession(
      sessionId(token),
      {
        header: session.header.bytes,
        certChain: session.certChain === null ? null : encode(session.certChain),
        serialNumber: session.serialNumber,
        deviceKeyType: session.keyType,
        tag,
      },
      new Date(now + this.o.sessionTtlSeconds * 1000),
    );
    this.#maybeSweep(now);
    return token;
  }

  async session(token: string): Promise<MfgSession | null> {
    const row = await this.o.store.findSession(sessionId(token), new Date());
    if (row === null) return null;
    return {
      header: OVHeader.decode(row.header),
      certChain:
        row.certChain === null
          ? null
          : read.array(decode(row.certChain), 'certChain').map((c, i) => read.bytes(c, `certChain[${i}]`)),
      serialNumber: row.serialNumber,
      keyType: row.deviceKeyType,
      tag: row.tag,
    };
  }

  async completeSession(token: string, session: MfgSession, voucher: OwnershipVoucher): Promise<void> {
    const owner = this.o.ownerKeys.forVoucher(session.tag, voucher.header.publicKey) ?? null;
    const final = owner === null ? voucher : this.extend(voucher, owner);
    const guid = formatGuid(voucher.guid);
    const stored = await this.o.store.completeSession(sessionId(token), new Date(), {
      guid,
      serialNumber: session.serialNumber,
      deviceInfo: voucher.header.deviceInfo,
      tag: session.tag,
      deviceKeyType: session.keyType,
      deviceCertSha256: voucher.certChain === null ? '' : fingerprint(voucher.certChain[0]!),
      voucher: final.encode(),
      entryCount: final.entries.length,
      ownerKeySha256: owner === null ? null : ownerKeySha256(owner),
    });
    if (!stored) {
      throw new InvalidTokenError(
        'DI.SetHMAC: the session expired or was already completed; start again with DI.AppStart',
      );
    }
    this.o.log.info(
      { guid, serialNumber: session.serialNumber, tag: session.tag, extended: owner !== null },
      'voucher stored',
    );
  }

  async abortSession(token: string): Promise<void> {
    await this.o.store.deleteSession(sessionId(token));
  }

  /** Extends a voucher the manufacturer owns to `owner`, signing with the manufacturer key it names. */
  extend(voucher: OwnershipVoucher, owner: PublicKey): OwnershipVoucher {
    const kind = keyKindOf(voucher.header.publicKey.info);
    const key = kind === null ? undefined : this.o.keys.manufacturerKeys.get(kind);
    if (key === undefined) throw new Error(`no manufacturer key for ${keyClass(voucher.header.publicKey)} vouchers`);
    return extendVoucher(this.o.crypto, voucher, key.privateKey, owner);
  }

  #maybeSweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    this.o.store.sweepSessions(new Date(now)).then(
      (count) => count > 0 && this.o.log.info({ count }, 'expired DI sessions removed'),
      (err: unknown) => this.o.log.warn({ err }, 'could not remove expired DI sessions'),
    );
  }
}
