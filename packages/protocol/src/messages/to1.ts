/**
 * TO1 protocol bodies (FDO 1.1 §5.4): HelloRV 30, HelloRVAck 31, ProveToRV 32, RVRedirect 33.
 */
import { encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { EntityAttestationToken } from '../types/eat.js';
import { readGuid, readNonce, type Guid, type Nonce } from '../types/guid.js';
import { SigInfo } from '../types/sig-info.js';
import { decodeBody } from './body.js';
import { MsgType } from './message-types.js';
import { To1d } from './to1d.js';

/**
 * TO1.HelloRV (30), §5.4.1.
 * ```cddl
 * TO1.HelloRV = [ Guid, eASigInfo ]
 * ```
 */
export interface TO1HelloRV {
  guid: Guid;
  eASigInfo: SigInfo;
}

export function encodeTO1HelloRV(m: TO1HelloRV): Uint8Array {
  return encode([m.guid, m.eASigInfo.toCbor()]);
}

export function decodeTO1HelloRV(bytes: Uint8Array): TO1HelloRV {
  return decodeBody(MsgType.TO1HelloRV, 'TO1.HelloRV', bytes, (v, path) => {
    const [g, s] = read.array(v, path, 2);
    return { guid: readGuid(g, `${path}.Guid`), eASigInfo: SigInfo.fromCbor(s, `${path}.eASigInfo`) };
  });
}

/**
 * TO1.HelloRVAck (31), §5.4.2.
 * ```cddl
 * TO1.HelloRVAck = [ NonceTO1Proof, eBSigInfo ]
 * ```
 */
export interface TO1HelloRVAck {
  nonceTO1Proof: Nonce;
  eBSigInfo: SigInfo;
}

export function encodeTO1HelloRVAck(m: TO1HelloRVAck): Uint8Array {
  return encode([m.nonceTO1Proof, m.eBSigInfo.toCbor()]);
}

export function decodeTO1HelloRVAck(bytes: Uint8Array): TO1HelloRVAck {
  return decodeBody(MsgType.TO1HelloRVAck, 'TO1.HelloRVAck', bytes, (v, path) => {
    const [n, s] = read.array(v, path, 2);
    return {
      nonceTO1Proof: readNonce(n, `${path}.NonceTO1Proof`),
      eBSigInfo: SigInfo.fromCbor(s, `${path}.eBSigInfo`),
    };
  });
}

/**
 * TO1.ProveToRV (32), §5.4.3: an EAT signed by the device key.
 * ```cddl
 * TO1.ProveToRV = EAToken    ; EAT-NONCE = NonceTO1Proof, EAT-UEID = 0x01 ‖ Guid, no EAT-FDO
 * ```
 */
export interface TO1ProveToRV {
  eat: EntityAttestationToken;
}

export function encodeTO1ProveToRV(m: TO1ProveToRV): Uint8Array {
  return m.eat.encode();
}

export function decodeTO1ProveToRV(bytes: Uint8Array): TO1ProveToRV {
  return decodeBody(MsgType.TO1ProveToRV, 'TO1.ProveToRV', bytes, (v, path) => ({
    eat: EntityAttestationToken.fromCbor(v, path),
  }));
}

/**
 * TO1.RVRedirect (33), §5.4.4: the to1d the owner registered in TO0.
 * ```cddl
 * TO1.RVRedirect = to1d
 * ```
 */
export interface TO1RVRedirect {
  to1d: To1d;
}

export function encodeTO1RVRedirect(m: TO1RVRedirect): Uint8Array {
  return m.to1d.encode();
}

export function decodeTO1RVRedirect(bytes: Uint8Array): TO1RVRedirect {
  return decodeBody(MsgType.TO1RVRedirect, 'TO1.RVRedirect', bytes, (v, path) => ({
    to1d: To1d.fromCbor(v, path),
  }));
}
