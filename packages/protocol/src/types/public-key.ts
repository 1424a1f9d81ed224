/**
 * PublicKey (FDO 1.1 §3.3.4): `[pkType, pkEnc, pkBody]`.
 *
 * ```cddl
 * PublicKey = [ pkType: 1 / 5 / 6 / 10 / 11,  ; RSA2048RESTR, RSAPKCS, RSAPSS, SECP256R1, SECP384R1
 *               pkEnc: 0 / 1 / 2 / 3,          ; Crypto, X509, X5CHAIN, COSEKEY
 *               pkBody ]
 * ; X509: bstr (DER SubjectPublicKeyInfo); X5CHAIN: [+ bstr] (DER certificates, leaf first);
 * ; COSEKEY: COSE_Key (RFC 8152 §7)
 * ```
 */
import { equal } from '../cbor/bytes.js';
import * as read from '../cbor/read.js';
import {
  ecPointOf,
  ecPublicKeyFromPoint,
  publicKeyInfo,
  publicKeyOfCertificate,
  rsaComponentsOf,
  rsaPublicKeyFromComponents,
  type KeyInfo,
} from '../crypto/keys.js';
import type { PublicKeyDer, SignatureAlg } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';

export const PkType = { RSA2048RESTR: 1, RSAPKCS: 5, RSAPSS: 6, SECP256R1: 10, SECP384R1: 11 } as const;
export type PkType = (typeof PkType)[keyof typeof PkType];
export const PkEnc = { Crypto: 0, X509: 1, X5CHAIN: 2, COSEKEY: 3 } as const;
export type PkEnc = (typeof PkEnc)[keyof typeof PkEnc];

const PK_TYPES = Object.values(PkType);
const PK_ENCS = Object.values(PkEnc);

export const pkTypeName = (t: PkType): string => Object.entries(PkType).find(([, v]) => v === t)![0];
export const pkEncName = (e: PkEnc): string => Object.entries(PkEnc).find(([, v]) => v === e)![0];

// COSE_Key labels (RFC 8152 §7.1, §13.1.1; RFC 8230 §4).
const KTY = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const CRV = -1;
const X = -2;
const Y = -3;
const N = -1;
const E = -2;
const COSE_CRV = { 'P-256': 1, 'P-384': 2 } as const;

/** The pkType that names a key: the curve for EC keys, and RSAPKCS (or RSA2048RESTR) for RSA. */
export function pkTypeFor(info: KeyInfo, rsaType: PkType = PkType.RSAPKCS): PkType {
  if (info.kind === 'ec') return info.curve === 'P-256' ? PkType.SECP256R1 : PkType.SECP384R1;
  return rsaType;
}

/** The COSE signature algorithm a key of this pkType signs with (FDO 1.1 §3.3.3). */
export function signatureAlgFor(type: PkType, info: KeyInfo): SignatureAlg {
  switch (type) {
    case PkType.SECP256R1:
      return 'ES256';
    case PkType.SECP384R1:
      return 'ES384';
    case PkType.RSAPSS:
      return info.kind === 'rsa' && info.bits >= 3072 ? 'PS384' : 'PS256';
    default:
      return info.kind === 'rsa' && info.bits >= 3072 ? 'RS384' : 'RS256';
  }
}

function checkTypeMatches(type: PkType, info: KeyInfo, path: string): void {
  const ok =
    type === PkType.SECP256R1
      ? info.kind === 'ec' && info.curve === 'P-256'
      : type === PkType.SECP384R1
        ? info.kind === 'ec' && info.curve === 'P-384'
        : type === PkType.RSA2048RESTR
          ? info.kind === 'rsa' && info.bits === 2048
          : info.kind === 'rsa';
  if (!ok) throw new MessageBodyError(`${path}: key does not match pkType ${pkTypeName(type)}`);
}

export class PublicKey {
  #der: PublicKeyDer | undefined;

  constructor(
    readonly type: PkType,
    readonly encoding: PkEnc,
    /** pkBody as decoded CBOR: bstr for X509, [+bstr] for X5CHAIN, Map for COSEKEY. */
    readonly body: unknown,
  ) {}

  /** Encodes a DER public key as X509 (the default, and what every peer supports) or COSEKEY. */
  static fromDer(key: PublicKeyDer, encoding: PkEnc = PkEnc.X509, rsaType?: PkType): PublicKey {
    const info = publicKeyInfo(key);
    const type = pkTypeFor(info, rsaType);
    let body: unknown;
    if (encoding === PkEnc.X509) body = key.spki;
    else if (encoding === PkEnc.COSEKEY) body = coseKeyOf(key, info);
    else throw new TypeError(`PublicKey.fromDer: use fromCertChain for ${pkEncName(encoding)}`);
    const pk = new PublicKey(type, encoding, body);
    pk.#der = key;
    return pk;
  }

  /** An X5CHAIN public key: the leaf certificate's key, with its chain (leaf first). */
  static fromCertChain(chain: Uint8Array[], rsaType?: PkType): PublicKey {
    if (chain.length === 0) throw new TypeError('X5CHAIN needs at least one certificate');
    const der = publicKeyOfCertificate(chain[0]!);
    const pk = new PublicKey(pkTypeFor(publicKeyInfo(der), rsaType), PkEnc.X5CHAIN, chain);
    pk.#der = der;
    return pk;
  }

  /** The key as DER SPKI, whatever its encoding. Throws for the Crypto (EPID) encoding. */
  toDer(): PublicKeyDer {
    if (this.#der === undefined) this.#der = this.#parse();
    return this.#der;
  }

  get info(): KeyInfo {
    return publicKeyInfo(this.toDer());
  }

  /** The signature algorithm this key signs FDO structures with. */
  get signatureAlg(): SignatureAlg {
    return signatureAlgFor(this.type, this.info);
  }

  /** The certificate chain of an X5CHAIN key, otherwise null. */
  get certChain(): Uint8Array[] | null {
    return this.encoding === PkEnc.X5CHAIN ? (this.body as Uint8Array[]) : null;
  }

  /** Same key material (whatever the encodings). */
  sameKey(other: PublicKey): boolean {
    return equal(this.toDer().spki, other.toDer().spki);
  }

  toCbor(): [number, number, unknown] {
    return [this.type, this.encoding, this.body];
  }

  static fromCbor(v: unknown, path = 'PublicKey'): PublicKey {
    const [t, e, body] = read.array(v, path, 3);
    const type = read.oneOf(t, `${path}.pkType`, PK_TYPES);
    const encoding = read.oneOf(e, `${path}.pkEnc`, PK_ENCS);
    switch (encoding) {
      case PkEnc.X509:
        read.bytes(body, `${path}.pkBody`);
        break;
      case PkEnc.X5CHAIN:
        read.arrayOf(body, `${path}.pkBody`, 1).forEach((c, i) => read.bytes(c, `${path}.pkBody[${i}]`));
        break;
      case PkEnc.COSEKEY:
        read.map(body, `${path}.pkBody`);
        break;
      default:
        break;
    }
    return new PublicKey(type, encoding, body);
  }

  /** Decodes and checks that the body is a valid key of the declared type. */
  static fromCborChecked(v: unknown, path = 'PublicKey'): PublicKey {
    const pk = PublicKey.fromCbor(v, path);
    let info: KeyInfo;
    try {
      info = pk.info;
    } catch (err) {
      throw new MessageBodyError(`${path}: ${(err as Error).message}`, { cause: err });
    }
    checkTypeMatches(pk.type, info, path);
    return pk;
  }

  #parse(): PublicKeyDer {
    switch (this.encoding) {
      case PkEnc.X509:
        publicKeyInfo({ spki: this.body as Uint8Array });
        return { spki: this.body as Uint8Array };
      case PkEnc.X5CHAIN:
        return publicKeyOfCertificate((this.body as Uint8Array[])[0]!);
      case PkEnc.COSEKEY:
        return keyFromCoseKey(this.body as Map<unknown, unknown>);
      default:
        throw new TypeError('the Crypto public-key encoding (EPID) is not supported');
    }
  }
}

/** COSE_Key map for a public key (EC2 or RSA). */
export function coseKeyOf(key: PublicKeyDer, info: KeyInfo = publicKeyInfo(key)): Map<number, unknown> {
  if (info.kind === 'ec') {
    const { x, y } = ecPointOf(key);
    return new Map<number, unknown>([
      [KTY, KTY_EC2],
      [CRV, COSE_CRV[info.curve]],
      [X, x],
      [Y, y],
    ]);
  }
  const { n, e } = rsaComponentsOf(key);
  return new Map<number, unknown>([
    [KTY, KTY_RSA],
    [N, n],
    [E, e],
  ]);
}

/** DER SPKI from a COSE_Key map (EC2 P-256/P-384 or RSA). */
export function keyFromCoseKey(m: Map<unknown, unknown>, path = 'COSE_Key'): PublicKeyDer {
  const kty = m.get(KTY);
  if (kty === KTY_EC2) {
    const crv = m.get(CRV);
    const curve = crv === 1 ? 'P-256' : crv === 2 ? 'P-384' : undefined;
    if (curve === undefined) throw new MessageBodyError(`${path}: unsupported curve ${String(crv)}`);
    return ecPublicKeyFromPoint(curve, read.bytes(m.get(X), `${path}.x`), read.bytes(m.get(Y), `${path}.y`));
  }
  if (kty === KTY_RSA)
    return rsaPublicKeyFromComponents(read.bytes(m.get(N), `${path}.n`), read.bytes(m.get(E), `${path}.e`));
  throw new MessageBodyError(`${path}: unsupported kty ${String(kty)}`);
}
