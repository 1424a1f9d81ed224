/**
 * One valid body of every FDO message, built with real keys and signatures, for the round-trip
 * and fuzz tests. Deterministic in shape (sizes and field types), random in key material.
 */
import { encode } from '../../src/cbor/codec.js';
import { signatureAlgorithmByName } from '../../src/cose/algorithms.js';
import { CoseSign1 } from '../../src/cose/sign1.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import {
  diAppStartOf,
  makeTo0d,
  signTO2ProveDevice,
  signTO2ProveOVHdr,
  signTO2SetupDevice,
  To1d,
  type MessageBodies,
  type MessageNumber,
} from '../../src/messages/index.js';
import { DeviceMfgInfo } from '../../src/types/device-mfg-info.js';
import { EntityAttestationToken } from '../../src/types/eat.js';
import { Hash, HMac } from '../../src/types/hash.js';
import { OVEntry, OVEntryPayload } from '../../src/types/ov-entry.js';
import { OVHeader } from '../../src/types/ov-header.js';
import { PkEnc, PkType, PublicKey } from '../../src/types/public-key.js';
import { RendezvousInfo } from '../../src/types/rv-info.js';
import { RVTO2Addr, TransportProtocol } from '../../src/types/rvto2addr.js';
import { serviceInfoKV } from '../../src/types/service-info.js';
import { SigInfo, SgType } from '../../src/types/sig-info.js';

const ES256 = signatureAlgorithmByName('ES256');
const fill = (n: number, b: number) => new Uint8Array(n).fill(b);

export const keys = {
  device: generateKeyPair('ec256'),
  manufacturer: generateKeyPair('ec256'),
  owner: generateKeyPair('ec256'),
  owner2: generateKeyPair('ec384'),
};
export const guid = fill(16, 0x11);
export const nonces = { a: fill(16, 1), b: fill(16, 2), c: fill(16, 3) };

const sha256 = (data: Uint8Array) => Hash.compute(nodeCrypto, 'SHA-256', data);
const hmac = HMac.compute(nodeCrypto, 'SHA-256', fill(32, 9), fill(8, 8));

export const ovHeader = OVHeader.create({
  guid,
  rvInfo: RendezvousInfo.fromUrls('http://rv.example:8040', 'https://10.0.0.1'),
  deviceInfo: 'test-device',
  publicKey: PublicKey.fromDer(keys.manufacturer.publicKey),
  certChainHash: sha256(fill(4, 4)),
});

const entryPayload = OVEntryPayload.create({
  prevHash: sha256(ovHeader.bytes),
  hdrInfoHash: sha256(guid),
  publicKey: PublicKey.fromDer(keys.owner.publicKey),
});
export const ovEntry = OVEntry.fromSign1(
  CoseSign1.sign(nodeCrypto, { alg: ES256, key: keys.manufacturer.privateKey, payload: entryPayload.bytes }),
);

/** A voucher-shaped array: this layer keeps the voucher as raw bytes. */
export const voucherBytes = encode([101, ovHeader.bytes, hmac.toCbor(), null, [ovEntry.sign1.toCbor()]]);

const to0d = makeTo0d(voucherBytes, 3600, nonces.a);
const to1d = To1d.sign(nodeCrypto, ES256, keys.owner.privateKey, {
  rv: [
    new RVTO2Addr(null, 'owner.example', 8043, TransportProtocol.HTTPS),
    new RVTO2Addr(new Uint8Array([10, 0, 0, 2]), null, 8042, TransportProtocol.HTTP),
  ],
  to0dHash: sha256(to0d.bytes),
});

const csr = fill(40, 0x30);
const sigInfo = new SigInfo(SgType.ES256);
const serviceInfo = [
  serviceInfoKV('devmod', 'active', true),
  serviceInfoKV('devmod', 'os', 'Linux'),
  serviceInfoKV('devmod', 'modules', [0, 1, 'fdo.download']),
];

/** A valid body of every message number. */
export function sampleBodies(): { [K in MessageNumber]: MessageBodies[K] } {
  return {
    10: diAppStartOf(new DeviceMfgInfo(PkType.SECP256R1, PkEnc.X509, 'SN-0001', 'test-device', csr)),
    11: { ovHeader },
    12: { hmac },
    13: {},
    20: {},
    21: { nonceTO0Sign: nonces.a },
    22: { to0d, to1d },
    23: { waitSeconds: 3600 },
    30: { guid, eASigInfo: sigInfo },
    31: { nonceTO1Proof: nonces.b, eBSigInfo: sigInfo },
    32: {
      eat: EntityAttestationToken.sign(nodeCrypto, { alg: ES256, key: keys.device.privateKey, guid, nonce: nonces.b }),
    },
    33: { to1d },
    60: {
      maxDeviceMessageSize: 0,
      guid,
      nonceTO2ProveOV: nonces.a,
      kexSuiteName: 'ECDH256',
      cipherSuiteName: 1,
      eASigInfo: sigInfo,
    },
    61: signTO2ProveOVHdr(
      nodeCrypto,
      { alg: ES256, key: keys.owner.privateKey },
      {
        ovHeader,
        numOVEntries: 1,
        hmac,
        nonceTO2ProveOV: nonces.a,
        eBSigInfo: sigInfo,
        xAKeyExchange: fill(100, 0xa),
        helloDeviceHash: sha256(fill(3, 3)),
        maxOwnerMessageSize: 65535,
      },
      nonces.b,
      PublicKey.fromDer(keys.owner.publicKey),
    ),
    62: { entryNum: 0 },
    63: { entryNum: 0, entry: ovEntry },
    64: signTO2ProveDevice(
      nodeCrypto,
      { alg: ES256, key: keys.device.privateKey },
      { guid, nonceTO2ProveDv: nonces.b, nonceTO2SetupDv: nonces.c, xBKeyExchange: fill(100, 0xb) },
    ),
    65: signTO2SetupDevice(
      nodeCrypto,
      { alg: signatureAlgorithmByName('ES384'), key: keys.owner2.privateKey },
      {
        rendezvousInfo: RendezvousInfo.fromUrls('http://rv2.example'),
        guid: fill(16, 0x22),
        nonceTO2SetupDv: nonces.c,
        owner2Key: PublicKey.fromDer(keys.owner2.publicKey, PkEnc.COSEKEY),
      },
    ),
    66: { replacementHmac: hmac, maxOwnerServiceInfoSz: 1300 },
    67: { maxDeviceServiceInfoSz: null },
    68: { isMoreServiceInfo: false, serviceInfo },
    69: { isMoreServiceInfo: false, isDone: true, serviceInfo: [] },
    70: { nonceTO2ProveDv: nonces.b },
    71: { nonceTO2SetupDv: nonces.c },
    255: { code: 100, prevMsgType: 60, message: 'bad body', timestamp: 1700000000, correlationId: 42 },
  };
}

export const MESSAGE_NUMBERS = Object.keys(sampleBodies()).map(Number) as MessageNumber[];
