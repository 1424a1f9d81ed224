/**
 * TO0.OwnerSign (22) → TO0.AcceptOwner (23), FDO 1.1 §5.3.3–§5.3.4.
 *
 * The owner sends to0d (its voucher, the WaitSeconds it asks for and the session's NonceTO0Sign)
 * and to1d (where its TO2 server is, and the hash of to0d), signed with the voucher's owner key.
 * The rendezvous server checks that the nonce is the one it issued, that to1dTo0dHash covers to0d,
 * that the voucher verifies and ends at the key that signed to1d, and that its trust policy accepts
 * the owner; it then stores, per GUID, only what TO1 needs, and grants min(asked, maximum) seconds.
 */
import { equal } from '../../cbor/bytes.js';
import { rawArrayItems } from '../../cbor/scan.js';
import { signatureAlgorithmByName } from '../../cose/algorithms.js';
import { publicKeyInfo, publicKeyOf, publicKeyOfCertificate } from '../../crypto/keys.js';
import type { CryptoProvider, HashAlg, PrivateKeyDer, PublicKeyDer } from '../../crypto/provider.js';
import {
  InvalidMessageError,
  InvalidOwnerSignBodyError,
  InvalidOwnershipVoucherError,
  InvalidTokenError,
} from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO0OwnerSign, encodeTO0AcceptOwner, encodeTO0OwnerSign, makeTo0d } from '../../messages/to0.js';
import { To1d } from '../../messages/to1d.js';
import { formatGuid, type Nonce } from '../../types/guid.js';
import { Hash } from '../../types/hash.js';
import type { PublicKey } from '../../types/public-key.js';
import type { RVTO2Addr } from '../../types/rvto2addr.js';
import { verifyVoucher } from '../../voucher/verify.js';
import { OwnershipVoucher } from '../../voucher/voucher.js';
import type { FdoTransport } from '../transport.js';
import { exchange } from './reply.js';
import { openTo0Session } from './session.js';
import type {
  Clock,
  RegistrationStore,
  ResponderResponse,
  RvRegistration,
  SessionSealer,
  To0TrustPolicy,
} from './state.js';

const UINT32_MAX = 0xffffffff;
const prev = { prevMsgType: MsgType.TO0OwnerSign };

/** SHA-256 of a public key's DER SubjectPublicKeyInfo, lower-case hex (what `openssl pkey -pubin -outform der | sha256sum` prints). */
export function keyFingerprint(crypto: CryptoProvider, key: PublicKeyDer): string {
  return Buffer.from(crypto.digest('SHA-256', key.spki)).toString('hex');
}

// Owner role

export interface To0OwnerSignInput {
  /** The voucher, extended to the owner: its last entry names the public half of `ownerKey`. */
  voucher: OwnershipVoucher;
  ownerKey: PrivateKeyDer;
  /** to1dRV: where the device finds the owner's TO2 server. */
  addresses: readonly RVTO2Addr[];
  /** How long the owner asks the registration to last (to0d.WaitSeconds, uint32). */
  waitSeconds: number;
  nonceTO0Sign: Nonce;
}

/** Builds to0d and the signed to1d (§5.3.3), sends TO0.OwnerSign, and returns the WaitSeconds granted. */
export async function sendTO0OwnerSign(
  transport: FdoTransport,
  crypto: CryptoProvider,
  input: To0OwnerSignInput,
): Promise<number> {
  const { voucher } = input;
  if (voucher.entries.length === 0) {
    throw new Error(`TO0: ${voucher.toString()} has no entries; extend it to the owner key first`);
  }
  const owner = voucher.ownerPublicKey;
  if (!equal(publicKeyOf(input.ownerKey).spki, owner.toDer().spki)) {
    throw new Error(`TO0: the owner key is not the key named by the last entry of ${voucher.toString()}`);
  }
  if (input.addresses.length === 0) throw new Error('TO0: to1dRV needs at least one owner address');
  if (!Number.isInteger(input.waitSeconds) || input.waitSeconds < 1 || input.waitSeconds > UINT32_MAX) {
    throw new Error(`TO0: WaitSeconds must be an integer from 1 to ${UINT32_MAX}, got ${input.waitSeconds}`);
  }
  const to0d = makeTo0d(voucher.encode(), input.waitSeconds, input.nonceTO0Sign);
  // The voucher's own hash algorithm (entry 0's), as go-fdo does; a verifier reads it from the Hash.
  const alg: HashAlg = voucher.entries[0]!.payload.prevHash.alg;
  const to1d = To1d.sign(crypto, signatureAlgorithmByName(owner.signatureAlg), input.ownerKey, {
    rv: [...input.addresses],
    to0dHash: Hash.compute(crypto, alg, to0d.bytes),
  });
  const accept = await exchange(
    transport,
    MsgType.TO0OwnerSign,
    encodeTO0OwnerSign({ to0d, to1d }),
    MsgType.TO0AcceptOwner,
  );
  return accept.waitSeconds;
}

// Rendezvous role

export interface To0OwnerSignContext {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  registrations: RegistrationStore;
  trust: To0TrustPolicy | undefined;
  /** The longest registration this server grants, in seconds. */
  maxWaitSeconds: number;
  now: Clock;
}

interface CheckedVoucher {
  voucher: OwnershipVoucher;
  ownerKey: PublicKey;
  deviceCertChain: Uint8Array[];
  deviceKey: PublicKeyDer;
}

/** Decodes and verifies the voucher in to0d (§3.4.2), and finds the device key TO1 will need. */
function checkVoucher(crypto: CryptoProvider, voucherBytes: Uint8Array): CheckedVoucher {
  let voucher: OwnershipVoucher;
  try {
    voucher = OwnershipVoucher.decode(voucherBytes, 'to0d.OwnershipVoucher');
    verifyVoucher(crypto, voucher);
  } catch (err) {
    if (err instanceof InvalidOwnershipVoucherError) throw Object.assign(err, prev);
    throw new InvalidOwnershipVoucherError((err as Error).message, { cause: err, ...prev });
  }
  const guid = formatGuid(voucher.guid);
  if (voucher.entries.length === 0) {
    throw new InvalidOwnershipVoucherError(
      `voucher for GUID ${guid} has no entries: extend it to the owner key before TO0`,
      prev,
    );
  }
  const chain = voucher.certChain;
  if (chain === null || chain.length === 0) {
    throw new InvalidOwnershipVoucherError(
      `voucher for GUID ${guid} has no device certificate chain (OVDevCertChain), so TO1.ProveToRV could not be checked`,
      prev,
    );
  }
  let deviceKey: PublicKeyDer;
  try {
    deviceKey = publicKeyOfCertificate(chain[0]!);
    publicKeyInfo(deviceKey);
  } catch (err) {
    throw new InvalidOwnershipVoucherError(
      `voucher for GUID ${guid}: the device certificate's key is not usable: ${(err as Error).message}`,
      { cause: err, ...prev },
    );
  }
  return { voucher, ownerKey: voucher.ownerPublicKey, deviceCertChain: chain, deviceKey };
}

/** Checks TO0.OwnerSign, stores the registration, and answers TO0.AcceptOwner (no token: TO0 ends here). */
export async function answerTO0OwnerSign(
  ctx: To0OwnerSignContext,
  body: Uint8Array,
  token: string | undefined,
): Promise<ResponderResponse> {
  const session = openTo0Session(ctx.sealer, token, MsgType.TO0OwnerSign);
  const { to0d, to1d } = decodeTO0OwnerSign(body);
  if (!equal(to0d.nonceTO0Sign, session.nonceTO0Sign)) {
    throw new InvalidMessageError('to0d.NonceTO0Sign is not the nonce this session issued in TO0.HelloAck', prev);
  }
  if (!to1d.payload.to0dHash.matches(ctx.crypto, to0d.bytes)) {
    throw new InvalidOwnerSignBodyError('to1d.to1dTo0dHash does not match the hash of to0d', prev);
  }
  const checked = checkVoucher(ctx.crypto, to0d.voucherBytes);
  const guid = formatGuid(checked.voucher.guid);
  if (!to1d.verify(ctx.crypto, checked.ownerKey.toDer())) {
    throw new InvalidOwnerSignBodyError(
      `to1d for GUID ${guid} is not signed by the voucher's owner key (the OVEPubKey of its last entry)`,
      prev,
    );
  }
  const refusal = await ctx.trust?.evaluate({
    guid: checked.voucher.guid,
    voucher: checked.voucher,
    ownerKey: checked.ownerKey,
    manufacturerKey: checked.voucher.header.publicKey,
    deviceCertChain: checked.deviceCertChain,
  });
  if (refusal !== undefined && refusal !== null) throw new InvalidOwnerSignBodyError(refusal, prev);
  if (to0d.waitSeconds === 0) {
    throw new InvalidOwnerSignBodyError('to0d.WaitSeconds is 0: ask for how long the registration should last', prev);
  }

  const waitSeconds = Math.min(to0d.waitSeconds, ctx.maxWaitSeconds);
  const registration = buildRegistration(ctx, checked, rawArrayItems(body)[1]!, waitSeconds);
  const outcome = await ctx.registrations.register(registration, {
    nonce: session.nonceTO0Sign,
    expiresAt: new Date(Math.max(session.expiresAt, ctx.now())),
  });
  if (!outcome.stored && outcome.reason === 'nonce-used') {
    throw new InvalidTokenError(
      'this TO0 session is already complete (its NonceTO0Sign was used); start again with TO0.Hello',
      prev,
    );
  }
  if (!outcome.stored) {
    // Both chains verify, so only the chain can tell a resale from a double extension (threat model).
    throw new InvalidOwnershipVoucherError(
      `GUID ${formatGuid(registration.guid)} is registered until ${outcome.until.toISOString()} from a voucher ` +
        `this one does not extend (owner key SHA-256 ${outcome.ownerKeyFingerprint}): a resale must extend the ` +
        'registered voucher; if this voucher is the rightful one, ask the rendezvous operator to remove the registration',
      prev,
    );
  }
  return {
    msgType: MsgType.TO0AcceptOwner,
    body: encodeTO0AcceptOwner({ waitSeconds }),
    guid: formatGuid(registration.guid),
  };
}

function buildRegistration(
  ctx: To0OwnerSignContext,
  checked: CheckedVoucher,
  to1dBytes: Uint8Array,
  waitSeconds: number,
): RvRegistration {
  const { voucher } = checked;
  const entryHashes = voucher.entries.map((e) => ctx.crypto.digest('SHA-256', e.bytes));
  const now = ctx.now();
  return {
    guid: voucher.guid,
    to1d: to1dBytes,
    deviceKey: checked.deviceKey,
    ownerKeyFingerprint: keyFingerprint(ctx.crypto, checked.ownerKey.toDer()),
    voucherHeaderHash: ctx.crypto.digest('SHA-256', voucher.header.bytes),
    voucherEntryHash: entryHashes.at(-1)!,
    entryHashes,
    waitSeconds,
    registeredAt: new Date(now),
    expiresAt: new Date(now + waitSeconds * 1000),
  };
}
