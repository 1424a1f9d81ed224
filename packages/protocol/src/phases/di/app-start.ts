/**
 * DI.AppStart (10) → DI.SetCredentials (11), FDO 1.1 §5.2.1–§5.2.2.
 *
 * Device: sends its DeviceMfgInfo (key type and encoding, serial number, device info, CSR) and
 * receives the OVHeader it will MAC. Manufacturer: checks the CSR, issues the device certificate,
 * picks its own key of the device's type, writes the header and opens a session.
 */
import type { KeyInfo, KeyKind } from '../../crypto/keys.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { InvalidMessageError, MessageBodyError } from '../../errors.js';
import {
  decodeDIAppStart,
  decodeDISetCredentials,
  deviceMfgInfoOf,
  diAppStartOf,
  encodeDIAppStart,
  encodeDISetCredentials,
} from '../../messages/di.js';
import { messageName, MsgType } from '../../messages/message-types.js';
import type { DeviceMfgInfo } from '../../types/device-mfg-info.js';
import { formatGuid, newGuid } from '../../types/guid.js';
import { hashAlgFor } from '../../types/hash.js';
import { OVHeader } from '../../types/ov-header.js';
import { PkEnc, pkEncName, PublicKey } from '../../types/public-key.js';
import { certChainHash } from '../../voucher/verify.js';
import { verifyCsr } from '../../x509/csr.js';
import type { FdoTransport } from '../transport.js';
import type { DiManufacturerState, DiSession, ManufacturerKey } from './state.js';

/** Longest serial number accepted (it is stored and shown; vendors' serials are far shorter). */
export const MAX_SERIAL_LENGTH = 128;

/** The key kind (curve or modulus size) of a device or manufacturer key. */
export function keyKindOf(info: KeyInfo): KeyKind | null {
  if (info.kind === 'ec') return info.curve === 'P-256' ? 'ec256' : 'ec384';
  if (info.bits === 2048) return 'rsa2048';
  if (info.bits === 3072) return 'rsa3072';
  return null;
}

function checkMfgInfo(info: DeviceMfgInfo): void {
  if (info.serialNumber.length === 0) throw new MessageBodyError('DI.AppStart: DeviceMfgInfo.serialNo is empty');
  if (info.serialNumber.length > MAX_SERIAL_LENGTH) {
    throw new MessageBodyError(`DI.AppStart: DeviceMfgInfo.serialNo is longer than ${MAX_SERIAL_LENGTH} characters`);
  }
  // Control characters would corrupt logs, CSV manifests and certificate subjects.
  if (/\p{Cc}/u.test(info.serialNumber)) {
    throw new MessageBodyError('DI.AppStart: DeviceMfgInfo.serialNo contains control characters');
  }
}

/** OVPubKey in the encoding the device asked for, with the device's pkType (go-fdo and PRI copy both). */
function manufacturerPublicKey(info: DeviceMfgInfo, key: ManufacturerKey): PublicKey {
  switch (info.keyEncoding) {
    case PkEnc.X509:
    case PkEnc.COSEKEY:
      return PublicKey.fromDer(key.publicKey, info.keyEncoding, info.keyType);
    case PkEnc.X5CHAIN:
      if (key.certChain === undefined || key.certChain.length === 0) break;
      return PublicKey.fromCertChain(key.certChain, info.keyType);
    default:
      break;
  }
  throw new InvalidMessageError(
    `DI.AppStart: the ${pkEncName(info.keyEncoding)} key encoding is not supported by this manufacturer`,
  );
}

/** Manufacturer half: the answer to DI.AppStart: DI.SetCredentials and the session token. */
export async function handleAppStart<S extends DiSession>(
  crypto: CryptoProvider,
  state: DiManufacturerState<S>,
  body: Uint8Array,
): Promise<{ body: Uint8Array; token: string; guid: string }> {
  const mfgInfo = deviceMfgInfoOf(decodeDIAppStart(body));
  checkMfgInfo(mfgInfo);
  const csr = await verifyCsr(mfgInfo.csr, mfgInfo.keyType);
  const kind = keyKindOf(csr.info);
  const mfgKey = kind === null ? null : await state.manufacturerKey(kind);
  if (kind === null || mfgKey === null) {
    throw new InvalidMessageError(`DI.AppStart: this manufacturer serves no devices with ${kind ?? 'this'} keys`);
  }
  const publicKey = manufacturerPublicKey(mfgInfo, mfgKey);
  const certChain = await state.issueDeviceCertificate({ csr, mfgInfo });
  // §3.3.1: the device MACs the header with the same choice (device.ts), so header and HMAC agree.
  const alg = hashAlgFor(csr.info, publicKey.info);
  const header = OVHeader.create({
    guid: newGuid(crypto),
    rvInfo: await state.rendezvousInfo(mfgInfo),
    deviceInfo: mfgInfo.deviceInfo,
    publicKey,
    certChainHash: certChainHash(crypto, alg, certChain),
  });
  const token = await state.createSession(
    { header, certChain, serialNumber: mfgInfo.serialNumber, keyType: mfgInfo.keyType },
    mfgInfo,
  );
  return { body: encodeDISetCredentials({ ovHeader: header }), token, guid: formatGuid(header.guid) };
}

/** Device half: sends DI.AppStart with `mfgInfo` (bstr-wrapped, as go-fdo and PRI do) and returns the OVHeader of DI.SetCredentials. */
export async function sendAppStart(transport: FdoTransport, mfgInfo: DeviceMfgInfo): Promise<OVHeader> {
  const reply = await transport.send(MsgType.DIAppStart, encodeDIAppStart(diAppStartOf(mfgInfo)));
  expectReply(reply.msgType, MsgType.DISetCredentials);
  return decodeDISetCredentials(reply.body).ovHeader;
}

/** Throws when the manufacturer answered with another message than the protocol's next one. */
export function expectReply(got: number, expected: number): void {
  if (got !== expected) {
    throw new InvalidMessageError(`expected ${messageName(expected)} from the manufacturer, got ${messageName(got)}`, {
      prevMsgType: got & 0xff,
    });
  }
}
