import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  decodeErrorMessage,
  DeviceMfgInfo,
  diAppStartOf,
  encode,
  encodeDIAppStart,
  encodeDISetHMAC,
  ErrorCode,
  generateKeyPair,
  HMac,
  nodeCrypto,
  PkEnc,
  PkType,
  publicKeyOf,
  publicKeyOfCertificate,
  publicKeyToPem,
  PublicKey,
  readVoucherPem,
  verifyVoucher,
  equal,
  formatGuid,
  type KeyKind,
  type OwnershipVoucher,
} from '@fdo/protocol';
import { createCsr, fingerprint, verifyCertificateChain } from '@fdo/protocol/x509';
import { deviceInitialize } from '@fdo/device-client';
import { databaseTargets } from '@fdo/storage/testing';
import { postFdo, startManufacturer, tempDir, type Manufacturer } from './helpers.js';

const crypto = nodeCrypto;
const KINDS: KeyKind[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];

// Key material (RSA 3072 takes a while to generate) is shared by every database target in this file.
const keysDir = tempDir(t, 'fdo-mfg-keys-');
const ownerDir = tempDir(t, 'fdo-mfg-owners-');
const customer = { ec256: generateKeyPair('ec256'), ec384: generateKeyPair('ec384') };
const pemFile = (name: string, text: string) => {
  const path = join(ownerDir, name);
  writeFileSync(path, text);
  return path;
};
const customerFiles = [
  pemFile('acme-256.pub.pem', publicKeyToPem(customer.ec256.publicKey)),
  pemFile('acme-384.pub.pem', publicKeyToPem(customer.ec384.publicKey)),
];

async function voucherOf(mfg: Manufacturer, guid: string): Promise<OwnershipVoucher> {
  const res = await mfg.api(`/vouchers/${guid}?format=pem`);
  if (res.status !== 200) throw new Error(`GET voucher ${guid}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  if (/PRIVATE KEY/.test(text)) throw new Error('a private key left the manufacturer');
  const { vouchers } = readVoucherPem(text);
  return vouchers[0]!;
}

async function counts(mfg: Manufacturer) {
  const stats = (await (await mfg.api('/stats')).json()) as { vouchers: number; diSessions: number };
  return { vouchers: stats.vouchers, sessions: stats.diSessions };
}

async function refused(t: Test, res: Awaited<ReturnType<typeof postFdo>>, code: number, prev: number) {
  t.equal(res.status, 500);
  t.equal(res.msgType, 255);
  t.equal(res.contentType, 'application/cbor');
  const em = decodeErrorMessage(res.body);
  t.equal(em.code, code, em.message);
  t.equal(em.prevMsgType, prev);
  t.ok(em.message.length > 10, 'a readable reason');
  return em;
}

async function appStart(kind: KeyKind, tweak: (i: DeviceMfgInfo) => DeviceMfgInfo = (i) => i) {
  const key = generateKeyPair(kind);
  const csr = await createCsr({ privateKey: key.privateKey, subject: 'CN=test' });
  const type = {
    ec256: PkType.SECP256R1,
    ec384: PkType.SECP384R1,
    rsa2048: PkType.RSA2048RESTR,
    rsa3072: PkType.RSAPKCS,
  }[kind];
  return encodeDIAppStart(diAppStartOf(tweak(new DeviceMfgInfo(type, PkEnc.X509, 'SN-raw', 'model', csr))));
}

for (const db of await databaseTargets(t)) {
  t.test(db.name, async (t) => {
    const mfg = await startManufacturer(t, {
      databaseUrl: db.url,
      keysDir,
      tagRules: [{ serialPattern: '^ACME-', tag: 'PO-ACME' }],
      ownerKeyFiles: { 'PO-ACME': customerFiles },
    });

    for (const kind of KINDS) {
      await t.test(
        `DI with a ${kind} device key: the voucher verifies against the credential and the device CA`,
        async (t) => {
          const { credential, privateKey } = await deviceInitialize({
            manufacturerUrl: mfg.url,
            serialNumber: `SN-${kind}-${db.name}`,
            deviceInfo: 'acme-sensor-v2',
            keyKind: kind,
          });
          const guid = formatGuid(credential.guid);
          const ov = await voucherOf(mfg, guid);
          const result = verifyVoucher(crypto, ov, { hmacSecret: credential.hmacSecret });
          t.ok(result.hmacChecked, 'the header HMAC matches the credential secret');
          t.equal(result.entryCount, 0, 'no customer key configured: unextended');
          t.ok(credential.matchesManufacturerKey(crypto, ov.header.publicKey), 'DCPubKeyHash names OVPubKey');
          t.same(
            await verifyCertificateChain(ov.certChain!, mfg.deviceCa),
            { valid: true },
            'chain ends at the device CA',
          );
          t.ok(
            equal(publicKeyOfCertificate(ov.certChain![0]!).spki, publicKeyOf(privateKey).spki),
            'the leaf is the device key',
          );
          t.equal(ov.header.deviceInfo, 'acme-sensor-v2');

          const meta = await (await mfg.api(`/vouchers/${guid}`)).json();
          t.match(meta, {
            guid,
            serialNumber: `SN-${kind}-${db.name}`,
            deviceInfo: 'acme-sensor-v2',
            tag: null,
            entries: 0,
            deviceCertSha256: fingerprint(ov.certChain![0]!),
          });
          const cbor = await mfg.api(`/vouchers/${guid}?format=cbor`);
          t.equal(cbor.headers.get('content-type'), 'application/cbor');
          t.ok(equal(new Uint8Array(await cbor.arrayBuffer()), ov.encode()));
        },
      );
    }

    await t.test('a voucher of a tag with customer keys is extended at DI to the key of its type', async (t) => {
      for (const kind of ['ec256', 'ec384'] as const) {
        const { credential } = await deviceInitialize({
          manufacturerUrl: mfg.url,
          serialNumber: `ACME-${kind}`,
          keyKind: kind,
        });
        const ov = await voucherOf(mfg, formatGuid(credential.guid));
        const result = verifyVoucher(crypto, ov, { hmacSecret: credential.hmacSecret });
        t.equal(result.entryCount, 1);
        t.ok(
          result.ownerPublicKey.sameKey(PublicKey.fromDer(customer[kind].publicKey)),
          `names the ${kind} customer key`,
        );
      }
      const before = await counts(mfg);
      const err = await deviceInitialize({
        manufacturerUrl: mfg.url,
        serialNumber: 'ACME-rsa',
        keyKind: 'rsa2048',
      }).catch((e: unknown) => e);
      t.match((err as Error).message, /tag "PO-ACME" go to customer owner keys, none of which is RSA 2048/);
      t.same(await counts(mfg), before, 'nothing stored');
    });

    await t.test('a voucher extended later through the API verifies and names the owner', async (t) => {
      const { credential } = await deviceInitialize({ manufacturerUrl: mfg.url, serialNumber: 'LATER-1' });
      const guid = formatGuid(credential.guid);
      const extend = (key: Uint8Array | string, token?: string) =>
        mfg.api(`/vouchers/${guid}/extend`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ownerKey: typeof key === 'string' ? key : publicKeyToPem({ spki: key }) }),
          ...(token === undefined ? {} : { token }),
        });
      const wrongType = await extend(customer.ec384.publicKey.spki);
      t.equal(wrongType.status, 409);
      t.match(await wrongType.json(), { error: 'key_type_mismatch', message: /EC P-384.*EC P-256/ });
      const garbage = await extend('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
      t.equal(garbage.status, 400);
      t.match(await garbage.json(), { error: 'invalid_owner_key' });

      const ok = await extend(customer.ec256.publicKey.spki);
      t.equal(ok.status, 200);
      t.match(await ok.json(), { guid, entries: 1, ownerKeySha256: fingerprint(customer.ec256.publicKey.spki) });
      const ov = await voucherOf(mfg, guid);
      const result = verifyVoucher(crypto, ov, { hmacSecret: credential.hmacSecret });
      t.ok(result.ownerPublicKey.sameKey(PublicKey.fromDer(customer.ec256.publicKey)));

      const again = await extend(generateKeyPair('ec256').publicKey.spki);
      t.equal(again.status, 409, 'an extended voucher is no longer the manufacturer’s to extend');
      t.match(await again.json(), { error: 'already_extended' });
    });

    await t.test('refused DI messages get message 255 with the right code, and store nothing', async (t) => {
      const before = await counts(mfg);
      await refused(t, await postFdo(mfg.url, 10, new Uint8Array([0x81, 0x18])), ErrorCode.MessageBodyError, 10);
      await refused(t, await postFdo(mfg.url, 10, encode([encode([10, 1, 'sn'])])), ErrorCode.MessageBodyError, 10);
      const hmac = encodeDISetHMAC({ hmac: HMac.compute(crypto, 'SHA-256', new Uint8Array(32), new Uint8Array(8)) });
      await refused(t, await postFdo(mfg.url, 12, hmac), ErrorCode.InvalidJwtToken, 12);
      await refused(t, await postFdo(mfg.url, 12, hmac, 'made-up-token'), ErrorCode.InvalidJwtToken, 12);
      const forgedCsr = await appStart('ec256', (i) => {
        const csr = Uint8Array.from(i.csr);
        csr[csr.length - 4]! ^= 0x10;
        return new DeviceMfgInfo(i.keyType, i.keyEncoding, i.serialNumber, i.deviceInfo, csr);
      });
      const em = await refused(t, await postFdo(mfg.url, 10, forgedCsr), ErrorCode.InvalidMessageError, 10);
      t.match(em.message, /CSR/);
      const mismatched = await appStart(
        'ec256',
        (i) => new DeviceMfgInfo(PkType.SECP384R1, i.keyEncoding, i.serialNumber, i.deviceInfo, i.csr),
      );
      t.match(
        (await refused(t, await postFdo(mfg.url, 10, mismatched), ErrorCode.InvalidMessageError, 10)).message,
        /claims pkType SECP384R1/,
      );
      t.same(await counts(mfg), before, 'no voucher and no session');

      // A good AppStart, then a malformed HMAC: the session is spent, no voucher is written.
      const started = await postFdo(mfg.url, 10, await appStart('ec256'));
      t.equal(started.status, 200);
      t.equal(started.msgType, 11);
      t.equal(started.contentType, 'application/cbor');
      t.equal(Number(started.contentLength), started.body.length);
      t.ok(started.token !== undefined && started.token.length >= 40, 'a bearer token');
      t.equal((await counts(mfg)).sessions, before.sessions + 1);
      await refused(
        t,
        await postFdo(mfg.url, 12, encode([[5, new Uint8Array(31)]]), started.token),
        ErrorCode.MessageBodyError,
        12,
      );
      await refused(t, await postFdo(mfg.url, 12, hmac, started.token), ErrorCode.InvalidJwtToken, 12);
      t.same(await counts(mfg), before, 'the refused session is gone and no voucher exists');
    });
  });
}
