/**
 * TO1.ProveToRV (32) → TO1.RVRedirect (33), FDO 1.1 §5.4.3–§5.4.4.
 * The device signs an EAT with its attestation key, carrying EAT-NONCE = NonceTO1Proof and
 * EAT-UEID = 0x01 ‖ GUID; the rendezvous server checks it against the device key from the voucher's
 * certificate chain and answers with the to1d the owner registered. The device checks to1d's
 * signature in TO2, once the voucher has proven the owner key (§5.5.3).
 */
import { equal } from '../../cbor/bytes.js';
import { signatureAlgorithmByName } from '../../cose/algorithms.js';
import type { CryptoProvider, PrivateKeyDer, SignatureAlg } from '../../crypto/provider.js';
import { InvalidMessageError, InvalidTokenError, ResourceNotFoundError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO1ProveToRV, encodeTO1ProveToRV } from '../../messages/to1.js';
import type { To1d } from '../../messages/to1d.js';
import { EntityAttestationToken } from '../../types/eat.js';
import { formatGuid, type Guid, type Nonce } from '../../types/guid.js';
import { exchange } from '../to0/reply.js';
import type { FdoTransport } from '../transport.js';
import { openTo1Session, type To1Session } from './session.js';
import type { Clock, RegistrationLookup, ResponderResponse, SessionSealer, To1ReplayGuard } from './state.js';

const prev = { prevMsgType: MsgType.TO1ProveToRV };

// Device role

export interface To1ProveInput {
  guid: Guid;
  nonceTO1Proof: Nonce;
  deviceKey: PrivateKeyDer;
  alg: SignatureAlg;
}

/** Signs the EAT, sends TO1.ProveToRV and returns the to1d of TO1.RVRedirect. */
export async function sendTO1ProveToRV(
  transport: FdoTransport,
  crypto: CryptoProvider,
  input: To1ProveInput,
): Promise<To1d> {
  const eat = EntityAttestationToken.sign(crypto, {
    alg: signatureAlgorithmByName(input.alg),
    key: input.deviceKey,
    guid: input.guid,
    nonce: input.nonceTO1Proof,
  });
  const redirect = await exchange(transport, MsgType.TO1ProveToRV, encodeTO1ProveToRV({ eat }), MsgType.TO1RVRedirect);
  return redirect.to1d;
}

// Rendezvous role

export interface To1ProveToRVContext {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  registrations: RegistrationLookup;
  replayGuard: To1ReplayGuard | undefined;
  now: Clock;
}

function expired(guid: Guid, at: number): ResourceNotFoundError {
  return new ResourceNotFoundError(
    `no owner registration for GUID ${formatGuid(guid)} (expired at ${new Date(at).toISOString()}): its owner must run TO0 again`,
    prev,
  );
}

/** The to1d to redirect with: sealed by HelloRV, or read again when it was too large to seal. */
async function to1dOf(ctx: To1ProveToRVContext, session: To1Session): Promise<Uint8Array> {
  if (session.to1d !== null) return session.to1d;
  const record = await ctx.registrations.lookup(session.guid);
  if (record === null) {
    throw new ResourceNotFoundError(`no owner registration for GUID ${formatGuid(session.guid)} any more`, prev);
  }
  if (record.expiresAt.getTime() <= ctx.now()) throw expired(session.guid, record.expiresAt.getTime());
  return record.to1d;
}

/** Checks TO1.ProveToRV and answers TO1.RVRedirect (no token: TO1 ends here). */
export async function answerTO1ProveToRV(
  ctx: To1ProveToRVContext,
  body: Uint8Array,
  token: string | undefined,
): Promise<ResponderResponse> {
  const session = openTo1Session(ctx.sealer, token, MsgType.TO1ProveToRV);
  const { eat } = decodeTO1ProveToRV(body);
  if (!equal(eat.nonce, session.nonceTO1Proof)) {
    throw new InvalidMessageError('EAT-NONCE is not the NonceTO1Proof this session issued in TO1.HelloRVAck', prev);
  }
  if (!eat.isFor(session.guid)) {
    throw new InvalidMessageError(
      `EAT-UEID names GUID ${formatGuid(eat.guid)}, but this session is for GUID ${formatGuid(session.guid)}`,
      prev,
    );
  }
  if (!eat.verify(ctx.crypto, session.deviceKey)) {
    throw new InvalidMessageError(
      `TO1.ProveToRV for GUID ${formatGuid(session.guid)} is not signed by the device key of its ownership voucher`,
      prev,
    );
  }
  if (session.registrationExpiresAt <= ctx.now()) throw expired(session.guid, session.registrationExpiresAt);
  const fresh = await ctx.replayGuard?.consume(session.nonceTO1Proof, new Date(session.expiresAt));
  if (fresh === false) {
    throw new InvalidTokenError(
      'this TO1 session is already complete (its NonceTO1Proof was used); start again with TO1.HelloRV',
      prev,
    );
  }
  // TO1.RVRedirect is the to1d exactly as the owner registered it.
  return { msgType: MsgType.TO1RVRedirect, body: await to1dOf(ctx, session), guid: formatGuid(session.guid) };
}
