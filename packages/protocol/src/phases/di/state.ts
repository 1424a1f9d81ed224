/**
 * What the DI state machines (FDO 1.1 §5.2) need from their surroundings. The manufacturer role is
 * pure over {@link DiManufacturerState}: the service decides keys, policy and storage behind it, so
 * a session can live in a database shared by several instances (or in memory, in tests).
 */
import type { KeyKind, PublicKeyDer } from '../../crypto/index.js';
import type { DeviceMfgInfo } from '../../types/device-mfg-info.js';
import type { OVHeader } from '../../types/ov-header.js';
import type { RendezvousInfo } from '../../types/rv-info.js';
import type { OwnershipVoucher } from '../../voucher/voucher.js';
import type { VerifiedCsr } from '../../x509/csr.js';

/** A manufacturer key as DI needs it: the public half (the service keeps the private half) and, for X5CHAIN, its chain. */
export interface ManufacturerKey {
  publicKey: PublicKeyDer;
  /** Certificate chain of the key, leaf first; needed only when a device asks for the X5CHAIN encoding. */
  certChain?: Uint8Array[];
}

/** The checked request for a device certificate: the device's CSR and the info it came with. */
export interface DeviceCertificateRequest {
  csr: VerifiedCsr;
  mfgInfo: DeviceMfgInfo;
}

/** What DI remembers between DI.AppStart and DI.SetHMAC. */
export interface DiSession {
  /** The header sent in DI.SetCredentials; its exact bytes are what the device MACs. */
  header: OVHeader;
  /** OVDevCertChain, leaf first (null when the manufacturer issues none). */
  certChain: Uint8Array[] | null;
  serialNumber: string;
  /** The device key type the device claimed in DeviceMfgInfo (pkType). */
  keyType: number;
}

/**
 * `S` is the service's own session record: what {@link DiManufacturerState.session} returns is handed
 * back unchanged to {@link DiManufacturerState.completeSession}, so it may carry more than DI needs.
 */
export interface DiManufacturerState<S extends DiSession = DiSession> {
  /**
   * The manufacturer key for devices whose attestation key is of `kind` (one key per kind, so the
   * voucher's key type follows the device's, §3.4.2), or null when this manufacturer serves no such devices.
   */
  manufacturerKey(kind: KeyKind): ManufacturerKey | null | Promise<ManufacturerKey | null>;
  /** Issues the device certificate chain (leaf first, ending at the device CA) for a checked CSR. */
  issueDeviceCertificate(request: DeviceCertificateRequest): Promise<Uint8Array[]>;
  /** The RendezvousInfo written into this device's voucher and credential. */
  rendezvousInfo(mfgInfo: DeviceMfgInfo): RendezvousInfo | Promise<RendezvousInfo>;
  /** Stores a new session and returns its token, sent as `Authorization: Bearer`. */
  createSession(session: DiSession, mfgInfo: DeviceMfgInfo): Promise<string>;
  /** The session a token names; null when it is unknown, expired or already ended. */
  session(token: string): Promise<S | null>;
  /**
   * Stores the finished voucher and ends the session, in one transaction: afterwards the voucher
   * exists and the token is spent, or (on any error) neither changed.
   */
  completeSession(token: string, session: S, voucher: OwnershipVoucher): Promise<void>;
  /** Ends a session without a voucher (its DI.SetHMAC was refused). */
  abortSession(token: string): Promise<void>;
}
