import t, { type Test } from 'tap';
import { equal } from '../../../src/cbor/bytes.js';
import { encode } from '../../../src/cbor/codec.js';
import { generateKeyPair, publicKeyOfCertificate, type KeyKind, type KeyPair } from '../../../src/crypto/keys.js';
import { nodeCrypto } from '../../../src/crypto/node.js';
import { ErrorCode, FdoError } from '../../../src/errors.js';
import { encodeDIAppStart, encodeDISetHMAC } from '../../../src/messages/di.js';
import { MsgType } from '../../../src/messages/message-types.js';
import {
  diResponder,
  FdoPeerError,
  runDI,
  type DiManufacturerState,
  type DiSession,
  type FdoTransport,
  type ManufacturerKey,
} from '../../../src/phases/index.js';
import { errorMessageFrom } from '../../../src/types/error-message.js';
import { DeviceMfgInfo } from '../../../src/types/device-mfg-info.js';
import { HMac } from '../../../src/types/hash.js';
import { PkEnc, PkType, PublicKey } from '../../../src/types/public-key.js';
import { RendezvousInfo } from '../../../src/types/rv-info.js';
import type { OwnershipVoucher } from '../../../src/voucher/index.js';
import { extendVoucher, verifyVoucher } from '../../../src/voucher/index.js';
import { createCsr, createSelfSignedCa, issueCertificate, verifyCertificateChain } from '../../../src/x509/index.js';

const crypto = nodeCrypto;
const KINDS: KeyKind[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];

/** A manufacturer with one key (and self-signed certificate) per kind and a device CA, all in memory. */
async function manufacturer() {
  const caKey = generateKeyPair('ec384');
  const caCert = await createSelfSignedCa({ privateKey: caKey.privateKey, subject: 'CN=DI test device CA' });
  const mfgKeys = new Map<KeyKind, KeyPair & ManufacturerKey>();
  for (const kind of KINDS) {
    const pair = generateKeyPair(kind);
    const cert = await createSelfSignedCa({ privateKey: pair.privateKey, subject: `CN=mfg ${kind}` });
    mfgKeys.set(kind, { ...pair, certChain: [cert] });
  }
  const sessions = new Map<string, DiSession>();
  const vouchers: OwnershipVoucher[] = [];
  let next = 0;
  const state: DiManufacturerState = {
    manufacturerKey: (kind) => mfgKeys.get(kind) ?? null,
    issueDeviceCertificate: async ({ csr, mfgInfo }) => [
      await issueCertificate({
        issuer: { privateKey: caKey.privateKey, certificate: caCert },
        publicKey: csr.publicKey,
        subject: [{ CN: [mfgInfo.serialNumber] }],
      }),
      caCert,
    ],
    rendezvousInfo: () => RendezvousInfo.fromUrls('http://127.0.0.1:8040'),
    createSession: async (session) => {
      const token = `tok-${next++}`;
      sessions.set(token, session);
      return token;
    },
    session: async (token) => sessions.get(token) ?? null,
    completeSession: async (token, _session, voucher) => {
      if (!sessions.delete(token)) throw new Error('session gone');
      vouchers.push(voucher);
    },
    abortSession: async (token) => {
      sessions.delete(token);
    },
  };
  return { state, sessions, vouchers, caCert, mfgKeys };
}

/** A transport that calls the responder directly, carrying the token as HTTP would. */
function loopback(responder: ReturnType<typeof diResponder>): FdoTransport & { token?: string } {
  const transport: FdoTransport & { token?: string } = {
    async send(msgType, body) {
      try {
        const reply = await responder({ msgType, body, token: transport.token });
        transport.token = reply.token;
        return reply;
      } catch (err) {
        transport.token = undefined;
        throw new FdoPeerError(errorMessageFrom(err, msgType));
      }
    },
  };
  return transport;
}

const m = await manufacturer();
const respond = diResponder({ crypto, state: m.state });

for (const kind of KINDS) {
  t.test(`FDO 1.1 §5.2: DI with a ${kind} device key`, async (t) => {
    const deviceKey = generateKeyPair(kind);
    const before = m.vouchers.length;
    const { credential, header, hmac } = await runDI(loopback(respond), {
      crypto,
      deviceKey,
      serialNumber: `SN-${kind}`,
      deviceInfo: 'model-x',
    });
    t.equal(m.vouchers.length, before + 1, 'one voucher stored at DI.SetHMAC');
    t.equal(m.sessions.size, 0, 'the session is spent');
    const ov = m.vouchers.at(-1)!;
    t.ok(equal(ov.guid, credential.guid));
    t.ok(equal(ov.header.bytes, header.bytes));
    t.ok(equal(ov.hmac.value, hmac.value), 'the voucher carries the HMAC the device sent');
    t.equal(credential.deviceInfo, 'model-x');
    t.equal(credential.protVer, 101);
    t.ok(credential.active);

    const result = verifyVoucher(crypto, ov, { hmacSecret: credential.hmacSecret });
    t.ok(result.hmacChecked);
    t.ok(credential.matchesManufacturerKey(crypto, ov.header.publicKey), 'DCPubKeyHash names OVPubKey');
    t.ok(
      ov.header.publicKey.sameKey(PublicKey.fromDer(m.mfgKeys.get(kind)!.publicKey)),
      'OVPubKey is the key of this kind',
    );
    const strong = kind === 'ec384' || kind === 'rsa3072';
    t.equal(ov.hmac.alg, strong ? 'SHA-384' : 'SHA-256', '§3.3.1 hash choice');
    t.same(await verifyCertificateChain(ov.certChain!, m.caCert), { valid: true });
    const leaf = ov.certChain![0]!;
    t.ok(equal(publicKeyOfCertificate(leaf).spki, deviceKey.publicKey.spki), 'the leaf certifies the device key');

    // The manufacturer can extend the voucher to an owner key of the same type.
    const owner = generateKeyPair(kind);
    const extended = extendVoucher(crypto, ov, m.mfgKeys.get(kind)!.privateKey, PublicKey.fromDer(owner.publicKey));
    t.ok(verifyVoucher(crypto, extended).ownerPublicKey.sameKey(PublicKey.fromDer(owner.publicKey)));
  });
}

t.test('the device may ask for its manufacturer key as COSE_Key or X5CHAIN', async (t) => {
  for (const keyEncoding of [PkEnc.COSEKEY, PkEnc.X5CHAIN]) {
    const { credential } = await runDI(loopback(respond), {
      crypto,
      deviceKey: generateKeyPair('ec256'),
      serialNumber: 'SN-enc',
      keyEncoding,
    });
    const ov = m.vouchers.at(-1)!;
    t.equal(ov.header.publicKey.encoding, keyEncoding);
    verifyVoucher(crypto, ov, { hmacSecret: credential.hmacSecret });
  }
});

/** Posts raw bodies the way a broken or hostile device would. */
async function refused(t: Test, msgType: number, body: Uint8Array, token?: string): Promise<FdoError> {
  const err = await respond({ msgType, body, token }).then(
    () => t.fail('accepted') as never,
    (e: unknown) => e as FdoError,
  );
  t.type(err, FdoError);
  return err;
}

async function appStartBody(kind: KeyKind, tweak: (info: DeviceMfgInfo) => DeviceMfgInfo = (i) => i) {
  const key = generateKeyPair(kind);
  const csr = await createCsr({ privateKey: key.privateKey, subject: 'CN=x' });
  const type = { ec256: PkType.SECP256R1, ec384: PkType.SECP384R1, rsa2048: 1, rsa3072: 5 }[kind] as PkType;
  const info = tweak(new DeviceMfgInfo(type, PkEnc.X509, 'SN-bad', 'm', csr));
  return encodeDIAppStart({ mfgInfo: info.encode(), inline: false });
}

t.test('refused DI messages store nothing', async (t) => {
  const before = { vouchers: m.vouchers.length, sessions: m.sessions.size };
  const check = async (code: number, msgType: number, body: Uint8Array, token?: string) => {
    const err = await refused(t, msgType, body, token);
    t.equal(err.fdoCode, code, err.message);
    t.equal(err.prevMsgType, msgType);
  };
  // Malformed AppStart bodies: code 100.
  await check(ErrorCode.MessageBodyError, 10, new Uint8Array([0x81]));
  await check(ErrorCode.MessageBodyError, 10, encode([null]));
  await check(ErrorCode.MessageBodyError, 10, encode([encode([10, 1, 'sn'])]));
  await check(ErrorCode.MessageBodyError, 10, encode(['not bytes']));
  await check(
    ErrorCode.MessageBodyError,
    10,
    await appStartBody('ec256', (i) => new DeviceMfgInfo(i.keyType, i.keyEncoding, '', 'm', i.csr)),
  );
  await check(
    ErrorCode.MessageBodyError,
    10,
    await appStartBody('ec256', (i) => new DeviceMfgInfo(i.keyType, i.keyEncoding, 'a\nb', 'm', i.csr)),
  );
  await check(
    ErrorCode.MessageBodyError,
    10,
    await appStartBody(
      'ec256',
      (i) => new DeviceMfgInfo(i.keyType, i.keyEncoding, i.serialNumber, 'm', new Uint8Array([0x30, 0x00])),
    ),
  );
  // A CSR for another key type than claimed, or with a broken signature: code 101.
  await check(
    ErrorCode.InvalidMessageError,
    10,
    await appStartBody('ec256', (i) => new DeviceMfgInfo(PkType.SECP384R1, i.keyEncoding, i.serialNumber, 'm', i.csr)),
  );
  await check(
    ErrorCode.InvalidMessageError,
    10,
    await appStartBody(
      'rsa3072',
      (i) => new DeviceMfgInfo(PkType.RSA2048RESTR, i.keyEncoding, i.serialNumber, 'm', i.csr),
    ),
  );
  await check(
    ErrorCode.InvalidMessageError,
    10,
    await appStartBody('ec256', (i) => {
      const csr = Uint8Array.from(i.csr);
      csr[csr.length - 3]! ^= 0x40;
      return new DeviceMfgInfo(i.keyType, i.keyEncoding, i.serialNumber, 'm', csr);
    }),
  );
  await check(
    ErrorCode.InvalidMessageError,
    10,
    await appStartBody('ec256', (i) => new DeviceMfgInfo(i.keyType, PkEnc.Crypto, i.serialNumber, 'm', i.csr)),
  );
  // SetHMAC without AppStart, or with a token nobody issued: code 1.
  const hmac = encodeDISetHMAC({ hmac: HMac.compute(crypto, 'SHA-256', new Uint8Array(32), new Uint8Array(1)) });
  await check(ErrorCode.InvalidJwtToken, 12, hmac);
  await check(ErrorCode.InvalidJwtToken, 12, hmac, 'tok-forged');
  // Other message types: code 101.
  await check(ErrorCode.InvalidMessageError, 30, hmac);
  t.same({ vouchers: m.vouchers.length, sessions: m.sessions.size }, before);
});

t.test('a malformed or mistyped HMAC ends the session without a voucher', async (t) => {
  const before = m.vouchers.length;
  for (const bad of [
    encode([[5, new Uint8Array(31)]]), // HMAC-SHA256 of the wrong length
    encode([[-16, new Uint8Array(32)]]), // a SHA-256 digest, not an HMAC
    encode([]),
  ]) {
    const started = await respond({ msgType: 10, body: await appStartBody('ec256'), token: undefined });
    t.equal(started.msgType, MsgType.DISetCredentials);
    t.equal(m.sessions.size, 1);
    const err = await refused(t, 12, bad, started.token);
    t.equal(err.fdoCode, ErrorCode.MessageBodyError);
    t.equal(m.sessions.size, 0, 'the token is spent');
    const again = await refused(t, 12, encode([[5, new Uint8Array(32)]]), started.token);
    t.equal(again.fdoCode, ErrorCode.InvalidJwtToken, 'and cannot be reused');
  }
  t.equal(m.vouchers.length, before);
});

t.test('the device side refuses an unexpected reply and reports the peer error', async (t) => {
  const wrong: FdoTransport = { send: async () => ({ msgType: 13, body: encode([]) }) };
  await t.rejects(runDI(wrong, { crypto, deviceKey: generateKeyPair('ec256'), serialNumber: 'x' }), {
    message: /expected DI.SetCredentials \(11\) from the manufacturer, got DI.Done \(13\)/,
  });
  const noMfg = await manufacturer();
  const partial = diResponder({ crypto, state: { ...noMfg.state, manufacturerKey: () => null } });
  const err = await runDI(loopback(partial), { crypto, deviceKey: generateKeyPair('ec384'), serialNumber: 'x' }).catch(
    (e: unknown) => e,
  );
  t.type(err, FdoPeerError);
  t.equal((err as FdoPeerError).error.code, ErrorCode.InvalidMessageError);
  t.match((err as FdoPeerError).error.message, /serves no devices with ec384 keys/);
});
