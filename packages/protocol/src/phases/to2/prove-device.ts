/**
 * TO2.ProveDevice (64) → TO2.SetupDevice (65), FDO 1.1 §5.5.6–§5.5.8.
 * The device proves its key with an EAT (EAT-NONCE = NonceTO2ProveDv, EAT-FDO = [xB], EUPHNonce =
 * NonceTO2SetupDv), checked against the device certificate in the voucher; the owner completes the
 * key exchange, derives the session keys (§3.6.4) and answers, encrypted from here on, with the
 * replacement credential signed by the Owner2 key.
 */
import { equal } from '../../cbor/bytes.js';
import { decode, encode } from '../../cbor/codec.js';
import { signatureAlgorithmByName } from '../../cose/algorithms.js';
import { publicKeyOf } from '../../crypto/keys.js';
import type { PrivateKeyDer } from '../../crypto/provider.js';
import { FdoError, InvalidMessageError } from '../../errors.js';
import { finishOwner } from '../../kex/exchange.js';
import { kdf } from '../../kex/kdf.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO2ProveDevice } from '../../messages/to2-prove.js';
import { encodeTO2SetupDevice, signTO2SetupDevice } from '../../messages/to2-setup.js';
import { cipherSuite } from '../../session/cipher-suites.js';
import { keyMaterialLength, splitKeyMaterial } from '../../session/key-material.js';
import { formatGuid, newGuid } from '../../types/guid.js';
import { PublicKey } from '../../types/public-key.js';
import { RendezvousInfo } from '../../types/rv-info.js';
import { bytes, encryptReply, hex, recordOf, type To2Answer, type To2Context } from './context.js';
import { deviceKeyOf } from './hello-device.js';
import type { StoredReplacement, To2OwnerSession, To2VoucherRecord } from './state.js';

const prev = { prevMsgType: MsgType.TO2ProveDevice };

export async function answerTO2ProveDevice(ctx: To2Context, s: To2OwnerSession, body: Uint8Array): Promise<To2Answer> {
  const prove = decodeTO2ProveDevice(body);
  const guid = bytes(s.guid);
  const record = await recordOf(ctx, s, MsgType.TO2ProveDevice);
  if (!equal(prove.eat.nonce, bytes(s.nonceTO2ProveDv))) {
    throw new InvalidMessageError('EAT-NONCE is not the NonceTO2ProveDv sent in TO2.ProveOVHdr', prev);
  }
  if (!prove.eat.isFor(guid)) {
    throw new InvalidMessageError(
      `EAT-UEID names GUID ${formatGuid(prove.eat.guid)}, but this session is for GUID ${formatGuid(guid)}`,
      prev,
    );
  }
  if (!prove.eat.verify(ctx.crypto, deviceKeyOf(record.voucher))) {
    throw new InvalidMessageError(
      `TO2.ProveDevice for GUID ${formatGuid(guid)} is not signed by the device key of its ownership voucher`,
      prev,
    );
  }
  let shared;
  try {
    shared = finishOwner(ctx.crypto, s.kex, prove.xBKeyExchange, record.ownerKey);
  } catch (err) {
    if (err instanceof FdoError) throw Object.assign(err, prev);
    throw err;
  }
  const suite = cipherSuite(s.cipherSuite);
  const material = kdf(ctx.crypto, suite.prf, shared.shSe, shared.contextRand, keyMaterialLength(suite));
  const keys = splitKeyMaterial(suite, material);
  s.keys = { sek: hex(keys.sek), svk: keys.svk === undefined ? null : hex(keys.svk) };
  s.nonceTO2SetupDv = hex(prove.nonceTO2SetupDv);

  const replacement = replacementFor(ctx, record);
  s.replacement = replacement;
  const owner2Key = PublicKey.fromCbor(bytesCbor(replacement.owner2Key));
  const setup = signTO2SetupDevice(
    ctx.crypto,
    { alg: signatureAlgorithmByName(owner2Key.signatureAlg), key: owner2PrivateKey(record, replacement) },
    {
      rendezvousInfo: RendezvousInfo.fromCbor(bytesCbor(replacement.rvInfo)),
      guid: bytes(replacement.guid),
      nonceTO2SetupDv: prove.nonceTO2SetupDv,
      owner2Key,
    },
  );
  s.step = MsgType.TO2DeviceServiceInfoReady;
  return encryptReply(ctx, s, MsgType.TO2SetupDevice, encodeTO2SetupDevice(setup));
}

const bytesCbor = (h: string): unknown => decode(bytes(h));

/** §5.5.8: reuse keeps GUID, RV info and owner key; otherwise the record's choices, by default a new GUID. */
function replacementFor(ctx: To2Context, record: To2VoucherRecord): StoredReplacement {
  const { voucher } = record;
  const reuse = record.credentialReuse === true;
  const choice = reuse ? {} : (record.replacement ?? {});
  const ownerKey = choice.ownerKey ?? record.ownerKey;
  const keepKey = equal(publicKeyOf(ownerKey).spki, voucher.ownerPublicKey.toDer().spki);
  const owner2Key = keepKey
    ? voucher.ownerPublicKey
    : PublicKey.fromDer(publicKeyOf(ownerKey), undefined, voucher.header.publicKey.type);
  return {
    guid: hex(reuse ? voucher.guid : (choice.guid ?? newGuid(ctx.crypto))),
    rvInfo: hex(encode((choice.rvInfo ?? voucher.header.rvInfo).toCbor())),
    owner2Key: hex(encode(owner2Key.toCbor())),
    owner2PrivateKey: keepKey ? null : hex(ownerKey.pkcs8),
    reuse,
  };
}

/** The Owner2 private key: the record's owner key unless the session names another. */
export function owner2PrivateKey(record: To2VoucherRecord, r: StoredReplacement): PrivateKeyDer {
  return r.owner2PrivateKey === null ? record.ownerKey : { pkcs8: bytes(r.owner2PrivateKey) };
}
