/**
 * to1d, the owner-signed rendezvous blob (FDO 1.1 §5.3.2, §5.4.4): registered by TO0.OwnerSign,
 * returned by TO1.RVRedirect, checked by the device in TO2 with the owner key of the voucher.
 *
 * ```cddl
 * to1d = COSE_Sign1(to1dBlobPayload)   ; signed by the owner key (last voucher entry)
 * to1dBlobPayload = [
 *   to1dRV: [+ RVTO2Addr],             ; where the owner's TO2 server is
 *   to1dTo0dHash: Hash                 ; hash of the to0d bytes of TO0.OwnerSign
 * ]
 * ```
 */
import { decode, encode, type Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import type { CryptoProvider, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import type { SignatureAlgorithm } from '../cose/algorithms.js';
import { CoseSign1 } from '../cose/sign1.js';
import { MessageBodyError } from '../errors.js';
import { Hash } from '../types/hash.js';
import { RVTO2Addr } from '../types/rvto2addr.js';

export interface To1dPayload {
  rv: RVTO2Addr[];
  to0dHash: Hash;
}

export class To1d {
  constructor(
    /** The COSE_Sign1 as received; its payload bytes are what the signature covers. */
    readonly sign1: CoseSign1,
    readonly payload: To1dPayload,
  ) {}

  static sign(provider: CryptoProvider, alg: SignatureAlgorithm, key: PrivateKeyDer, payload: To1dPayload): To1d {
    const bytes = encode([payload.rv.map((a) => a.toCbor()), payload.to0dHash.toCbor()]);
    return To1d.fromSign1(CoseSign1.sign(provider, { alg, key, payload: bytes }));
  }

  static fromSign1(sign1: CoseSign1, path = 'to1d'): To1d {
    if (sign1.payload === null) throw new MessageBodyError(`${path}: the payload is detached`);
    const [rv, hash] = read.array(decode(sign1.payload), `${path}.payload`, 2);
    return new To1d(sign1, {
      rv: read.arrayOf(rv, `${path}.to1dRV`, 1).map((a, i) => RVTO2Addr.fromCbor(a, `${path}.to1dRV[${i}]`)),
      to0dHash: Hash.fromCbor(hash, `${path}.to1dTo0dHash`),
    });
  }

  static fromCbor(v: unknown, path = 'to1d'): To1d {
    return To1d.fromSign1(CoseSign1.fromCbor(v, path), path);
  }

  verify(provider: CryptoProvider, ownerKey: PublicKeyDer): boolean {
    return this.sign1.verify(provider, ownerKey);
  }

  toCbor(): Tag {
    return this.sign1.toCbor();
  }

  encode(): Uint8Array {
    return this.sign1.encode();
  }
}
