/**
 * TO1.HelloRV (30) → TO1.HelloRVAck (31), FDO 1.1 §5.4.1–§5.4.2.
 * The device names its GUID and signature type; the rendezvous server looks the GUID up (one point
 * read: the whole of TO1's database work) and answers with a fresh NonceTO1Proof for the device to sign.
 */
import { publicKeyInfo, storedKeyInfo, type KeyInfo } from '../../crypto/keys.js';
import type { CryptoProvider, PublicKeyDer, SignatureAlg } from '../../crypto/provider.js';
import { InvalidMessageError, ResourceNotFoundError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO1HelloRV, encodeTO1HelloRV, encodeTO1HelloRVAck, type TO1HelloRVAck } from '../../messages/to1.js';
import { formatGuid, newNonce, type Guid } from '../../types/guid.js';
import { signatureAlgFor, pkTypeFor } from '../../types/public-key.js';
import { SgType, SigInfo } from '../../types/sig-info.js';
import { exchange } from '../to0/reply.js';
import type { FdoTransport } from '../transport.js';
import { sealTo1Session } from './session.js';
import type { Clock, RegistrationLookup, ResponderResponse, SessionSealer } from './state.js';

const prev = { prevMsgType: MsgType.TO1HelloRV };

/** The signature algorithm a device key signs its EAT with: ES256/ES384 by curve, RS256/RS384 by modulus size. */
export function deviceSignatureAlg(key: PublicKeyDer): SignatureAlg {
  const info = publicKeyInfo(key);
  return signatureAlgFor(pkTypeFor(info), info);
}

/** eASigInfo for a device key (§3.3.7): the COSE algorithm, with an empty info (no EPID). */
export function sigInfoFor(alg: SignatureAlg): SigInfo {
  return new SigInfo(SgType[alg]);
}

// Device role

/** Sends TO1.HelloRV and returns TO1.HelloRVAck (NonceTO1Proof and eBSigInfo). */
export function sendTO1HelloRV(transport: FdoTransport, guid: Guid, eASigInfo: SigInfo): Promise<TO1HelloRVAck> {
  return exchange(transport, MsgType.TO1HelloRV, encodeTO1HelloRV({ guid, eASigInfo }), MsgType.TO1HelloRVAck);
}

// Rendezvous role

export interface To1HelloRVContext {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  registrations: RegistrationLookup;
  tokenTtlSeconds: number;
  /** The largest to1d sealed into the token; larger ones are read again at ProveToRV. */
  maxSealedTo1dBytes: number;
  now: Clock;
}

function fitsKey(sgType: number, key: KeyInfo): boolean {
  switch (sgType) {
    case SgType.ES256:
      return key.kind === 'ec' && key.curve === 'P-256';
    case SgType.ES384:
      return key.kind === 'ec' && key.curve === 'P-384';
    default:
      return key.kind === 'rsa';
  }
}

const SG_NAMES = new Map<number, string>(Object.entries(SgType).map(([name, id]) => [id, name]));

/** Answers TO1.HelloRV: error 6 for a GUID with no live registration, else HelloRVAck and a sealed session. */
export async function answerTO1HelloRV(ctx: To1HelloRVContext, body: Uint8Array): Promise<ResponderResponse> {
  const { guid, eASigInfo } = decodeTO1HelloRV(body);
  if (eASigInfo.sgType === SgType.EPID10 || eASigInfo.sgType === SgType.EPID11) {
    throw new InvalidMessageError('eASigInfo: EPID devices are not supported by this rendezvous server', prev);
  }
  const record = await ctx.registrations.lookup(guid);
  const now = ctx.now();
  if (record === null) {
    throw new ResourceNotFoundError(
      `no owner registration for GUID ${formatGuid(guid)}: its owner has not run TO0 with this rendezvous server`,
      prev,
    );
  }
  if (record.expiresAt.getTime() <= now) {
    throw new ResourceNotFoundError(
      `no owner registration for GUID ${formatGuid(guid)} (expired at ${record.expiresAt.toISOString()}): its owner must run TO0 again`,
      prev,
    );
  }
  // Read from the key's bytes: TO0.OwnerSign checked the key before storing it, and ProveToRV parses it.
  const keyInfo = storedKeyInfo(record.deviceKey);
  if (!fitsKey(eASigInfo.sgType, keyInfo)) {
    const key = keyInfo.kind === 'ec' ? `EC ${keyInfo.curve}` : `RSA ${keyInfo.bits}`;
    throw new InvalidMessageError(
      `eASigInfo ${SG_NAMES.get(eASigInfo.sgType)} does not fit the device key in the ownership voucher (${key})`,
      prev,
    );
  }
  const nonceTO1Proof = newNonce(ctx.crypto);
  const token = sealTo1Session(
    ctx.sealer,
    {
      nonceTO1Proof,
      guid,
      deviceKey: record.deviceKey,
      registrationExpiresAt: record.expiresAt.getTime(),
      to1d: record.to1d.length <= ctx.maxSealedTo1dBytes ? record.to1d : null,
      expiresAt: now + ctx.tokenTtlSeconds * 1000,
    },
    ctx.tokenTtlSeconds,
  );
  // §5.4.2: eBSigInfo echoes eASigInfo for ECDSA and RSA (it differs only for EPID).
  return {
    msgType: MsgType.TO1HelloRVAck,
    body: encodeTO1HelloRVAck({ nonceTO1Proof, eBSigInfo: eASigInfo }),
    token,
    guid: formatGuid(guid),
  };
}
