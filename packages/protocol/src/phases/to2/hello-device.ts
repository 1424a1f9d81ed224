/**
 * TO2.HelloDevice (60) → TO2.ProveOVHdr (61), FDO 1.1 §5.5.1–§5.5.3.
 * The device names its GUID, key exchange and cipher suite; the owner finds the voucher, checks the
 * suites against the keys (§3.6.5), starts the key exchange and proves the voucher header with the
 * owner key, sending NonceTO2ProveDv (CUPHNonce) and its key (CUPHOwnerPubKey).
 */
import { equal } from '../../cbor/bytes.js';
import { signatureAlgorithmByName } from '../../cose/algorithms.js';
import { publicKeyInfo, publicKeyOf, publicKeyOfCertificate } from '../../crypto/keys.js';
import type { HashAlg, PublicKeyDer } from '../../crypto/provider.js';
import { FdoError, InvalidMessageError, InvalidOwnershipVoucherError, ResourceNotFoundError } from '../../errors.js';
import { beginOwner } from '../../kex/exchange.js';
import { checkKexSuite } from '../../kex/pairing.js';
import { MsgType } from '../../messages/message-types.js';
import {
  decodeTO2HelloDevice,
  encodeTO2ProveOVHdr,
  signTO2ProveOVHdr,
  type TO2HelloDevice,
} from '../../messages/to2-prove.js';
import { newOwnerServiceInfoState } from '../../serviceinfo/owner-driver.js';
import { cipherSuite } from '../../session/cipher-suites.js';
import { formatGuid, newNonce } from '../../types/guid.js';
import { Hash } from '../../types/hash.js';
import { SgType } from '../../types/sig-info.js';
import type { OwnershipVoucher } from '../../voucher/voucher.js';
import { deviceSignatureAlg } from '../to1/hello-rv.js';
import { hex, type To2Context } from './context.js';
import type { To2OwnerSession, To2VoucherRecord } from './state.js';

const prev = { prevMsgType: MsgType.TO2HelloDevice };

/** The hash algorithm of a voucher (entry 0's; the header HMAC's when it has no entries). */
export function voucherHashAlg(voucher: OwnershipVoucher): HashAlg {
  return voucher.entries[0]?.payload.prevHash.alg ?? voucher.hmac.alg;
}

/** The device attestation key: the leaf of OVDevCertChain. */
export function deviceKeyOf(voucher: OwnershipVoucher): PublicKeyDer {
  const chain = voucher.certChain;
  if (chain === null || chain.length === 0) {
    throw new InvalidOwnershipVoucherError(
      `voucher for GUID ${formatGuid(voucher.guid)} has no device certificate chain, so TO2.ProveDevice cannot be checked`,
      prev,
    );
  }
  return publicKeyOfCertificate(chain[0]!);
}

export interface HelloDeviceResult {
  session: To2OwnerSession;
  reply: { msgType: number; body: Uint8Array };
}

/** Answers TO2.HelloDevice: the new session (for the caller to create) and TO2.ProveOVHdr. */
export async function answerTO2HelloDevice(ctx: To2Context, body: Uint8Array): Promise<HelloDeviceResult> {
  const hello = decodeTO2HelloDevice(body);
  const guid = formatGuid(hello.guid);
  const record = await ctx.state.voucherFor(hello.guid);
  if (record === null) {
    throw new ResourceNotFoundError(`no ownership voucher for GUID ${guid} here: import it first`, prev);
  }
  try {
    return proveOVHdr(ctx, record, hello, body);
  } catch (err) {
    // The device is known: its status shows why TO2 stopped.
    const reason = err instanceof FdoError ? `error ${err.fdoCode}: ${err.message}` : 'internal error';
    await ctx.state.failOnboarding(hello.guid, MsgType.TO2HelloDevice, reason);
    throw err;
  }
}

function proveOVHdr(
  ctx: To2Context,
  record: To2VoucherRecord,
  hello: TO2HelloDevice,
  body: Uint8Array,
): HelloDeviceResult {
  const guid = formatGuid(hello.guid);
  const { voucher } = record;
  const ownerPublic = voucher.ownerPublicKey;
  if (voucher.entries.length === 0 || !equal(publicKeyOf(record.ownerKey).spki, ownerPublic.toDer().spki)) {
    throw new InvalidOwnershipVoucherError(
      `the voucher for GUID ${guid} is not extended to this owner's key (its last entry names another key)`,
      prev,
    );
  }
  const deviceKey = deviceKeyOf(voucher);
  checkSigInfo(hello.eASigInfo.sgType, deviceKey);
  let kexName: string;
  try {
    kexName = checkKexSuite(hello.kexSuiteName, publicKeyInfo(deviceKey), ownerPublic.info).name;
    cipherSuite(hello.cipherSuiteName);
  } catch (err) {
    if (err instanceof FdoError) throw Object.assign(err, prev);
    throw err;
  }
  const { xA, state: kex } = beginOwner(ctx.crypto, kexName);
  const nonceTO2ProveDv = newNonce(ctx.crypto);
  const prove = signTO2ProveOVHdr(
    ctx.crypto,
    { alg: signatureAlgorithmByName(ownerPublic.signatureAlg), key: record.ownerKey },
    {
      ovHeader: voucher.header,
      numOVEntries: voucher.entries.length,
      hmac: voucher.hmac,
      nonceTO2ProveOV: hello.nonceTO2ProveOV,
      eBSigInfo: hello.eASigInfo,
      xAKeyExchange: xA,
      helloDeviceHash: Hash.compute(ctx.crypto, voucherHashAlg(voucher), body),
      maxOwnerMessageSize: ctx.maxOwnerMessageSize,
    },
    nonceTO2ProveDv,
    ownerPublic,
  );
  const session: To2OwnerSession = {
    v: 1,
    step: MsgType.TO2GetOVNextEntry,
    guid: hex(hello.guid),
    nonceTO2ProveOV: hex(hello.nonceTO2ProveOV),
    nonceTO2ProveDv: hex(nonceTO2ProveDv),
    nonceTO2SetupDv: null,
    kex,
    cipherSuite: hello.cipherSuiteName,
    maxDeviceMessageSize: effectiveMessageSize(hello.maxDeviceMessageSize),
    maxOwnerMessageSize: ctx.maxOwnerMessageSize,
    maxOwnerServiceInfoSz: null,
    maxDeviceServiceInfoSz: ctx.maxDeviceServiceInfoSize,
    numEntries: voucher.entries.length,
    nextEntry: 0,
    keys: null,
    ctr: null,
    replacement: null,
    replacementHmac: null,
    serviceInfo: newOwnerServiceInfoState(),
    tags: [...(record.tags ?? [])],
    ...(record.readAs === undefined ? {} : { voucherReadAs: record.readAs }),
    startedAt: ctx.now(),
    expiresAt: ctx.now() + ctx.sessionTtlSeconds * 1000,
  };
  return { session, reply: { msgType: MsgType.TO2ProveOVHdr, body: encodeTO2ProveOVHdr(prove) } };
}

/**
 * maxDeviceMessageSize (§5.5.1): 0 means the default. Values too small to carry any TO2 message are
 * read as the default too: fdo-rs sends 17 (`(2 ^ 16) - 1` with XOR; wire notes §5, divergence 2).
 */
export function effectiveMessageSize(size: number): number {
  return size < 256 ? 0xffff : size;
}

/** eASigInfo must name the device key's algorithm (§5.5.1); EPID is not supported. */
function checkSigInfo(sgType: number, deviceKey: PublicKeyDer): void {
  const expected = SgType[deviceSignatureAlg(deviceKey)];
  const rsa = [SgType.RS256, SgType.RS384, SgType.PS256, SgType.PS384] as number[];
  const fits = sgType === expected || (rsa.includes(expected) && rsa.includes(sgType));
  if (!fits) {
    throw new InvalidMessageError(
      `eASigInfo ${sgType} does not fit the device key in the ownership voucher (expected ${expected})`,
      prev,
    );
  }
}
