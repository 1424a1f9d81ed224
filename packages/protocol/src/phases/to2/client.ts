/**
 * TO2, device role (FDO 1.1 §5.5) over any {@link FdoTransport}: HelloDevice → ProveOVHdr → the
 * voucher entries → ProveDevice → SetupDevice → DeviceServiceInfoReady → OwnerServiceInfoReady →
 * ServiceInfo → Done → Done2.
 *
 * The device checks everything it can: the owner's signature with the key it names, the header
 * HMAC with its own secret, the manufacturer key against DCPubKeyHash, every entry of the chain
 * from that key to the owner key that signed, its nonces and the hello-device hash, to1d when
 * given, and the SetupDevice signature. When it refuses, it tells the owner (message 255) and
 * throws. The caller replaces its credential with the result only after this resolves (Done2).
 */
import { concat, equal } from '../../cbor/bytes.js';
import { encode } from '../../cbor/codec.js';
import { signatureAlgorithmByName } from '../../cose/algorithms.js';
import { publicKeyOf } from '../../crypto/keys.js';
import { nodeCrypto } from '../../crypto/node.js';
import type { CryptoProvider, PrivateKeyDer } from '../../crypto/provider.js';
import { CredentialReuseError, FdoError, InvalidMessageError, InvalidOwnershipVoucherError } from '../../errors.js';
import { respondDevice } from '../../kex/exchange.js';
import { kdf } from '../../kex/kdf.js';
import { encodeErrorMessage } from '../../messages/error.js';
import { MsgType } from '../../messages/message-types.js';
import type { To1d } from '../../messages/to1d.js';
import {
  decodeTO2OVNextEntry,
  decodeTO2ProveOVHdr,
  encodeTO2GetOVNextEntry,
  encodeTO2HelloDevice,
  encodeTO2ProveDevice,
  signTO2ProveDevice,
  type TO2ProveOVHdr,
} from '../../messages/to2-prove.js';
import {
  decodeTO2Done2,
  decodeTO2OwnerServiceInfo,
  decodeTO2OwnerServiceInfoReady,
  decodeTO2SetupDevice,
  encodeTO2DeviceServiceInfo,
  encodeTO2DeviceServiceInfoReady,
  encodeTO2Done,
  type TO2SetupDevice,
} from '../../messages/to2-setup.js';
import { DeviceServiceInfoDriver } from '../../serviceinfo/device-driver.js';
import type { DevmodInfo } from '../../serviceinfo/devmod.js';
import type { DeviceServiceInfoModule } from '../../serviceinfo/module.js';
import { cipherSuite, CipherSuiteId } from '../../session/cipher-suites.js';
import { keyMaterialLength, splitKeyMaterial } from '../../session/key-material.js';
import { createSessionCrypto, type SessionCrypto } from '../../session/session-crypto.js';
import { DeviceCredential } from '../../types/device-credential.js';
import { errorMessageFrom } from '../../types/error-message.js';
import { newNonce, type Guid } from '../../types/guid.js';
import { Hash, HMac } from '../../types/hash.js';
import { OVHeader } from '../../types/ov-header.js';
import type { PublicKey } from '../../types/public-key.js';
import { DEFAULT_SERVICE_INFO_SIZE, packServiceInfo, type ServiceInfo } from '../../types/service-info.js';
import { headerInfoBytes } from '../../voucher/verify.js';
import { deviceSignatureAlg, sigInfoFor } from '../to1/hello-rv.js';
import type { FdoTransport } from '../transport.js';

export interface RunTO2Input {
  crypto?: CryptoProvider;
  credential: DeviceCredential;
  /** The device attestation key (the leaf of the voucher's certificate chain). */
  deviceKey: PrivateKeyDer;
  /** Default: ECDH256 for a P-256 device key, ECDH384 for P-384 (§3.6.5); RSA owners need DHKEX/ASYMKEX. */
  kexSuite?: string;
  /** Default A128GCM. */
  cipherSuite?: number;
  /** maxDeviceMessageSize (HelloDevice). Default 65535. */
  maxDeviceMessageSize?: number;
  /** maxOwnerServiceInfoSz (DeviceServiceInfoReady): the largest owner ServiceInfo accepted. Default 1300. */
  maxOwnerServiceInfoSize?: number;
  /** What devmod reports. */
  devmod: DevmodInfo;
  serviceInfoModules?: readonly DeviceServiceInfoModule[];
  /** Accept credential reuse when the owner offers it (§5.5.9). Default true; false answers error 102. */
  allowCredentialReuse?: boolean;
  /** to1d from TO1, checked against the owner key once it is proven (§5.5.3). */
  to1d?: To1d;
  /** Refuse after this many ServiceInfo rounds. Default 10000. */
  maxServiceInfoRounds?: number;
  /** Called as TO2 establishes each fact (for a device's progress output); must not throw. */
  onProgress?: (event: TO2Progress) => void;
}

/** What the device's TO2 has established so far, reported as it happens. */
export type TO2Progress =
  /** §5.5.3–§5.5.5: the voucher header, its HMAC, every entry and to1d (when given) check out. */
  | { step: 'owner-proven'; ownerKey: PublicKey; ovEntries: number }
  /** §5.5.7: TO2.SetupDevice arrived (the owner accepted the device's proof) and is checked. */
  | { step: 'setup-device'; replacementGuid: Guid; credentialReused: boolean }
  /** §3.8.3.1: the owner sent `module:active`; `active` is the device's answer (false for a module it lacks). */
  | { step: 'service-info-module'; module: string; requested: boolean; active: boolean };

export interface TO2Result {
  /** The credential to store (atomically) now: the replacement, or the same one with credential reuse. */
  replacementCredential: DeviceCredential;
  credentialReused: boolean;
  serviceInfoResults: Record<string, unknown>;
}

/** Proven owner: what ProveOVHdr and the entries established. */
interface Proven {
  prove: TO2ProveOVHdr;
  ownerKey: PublicKey;
}

/** Runs TO2 with the owner server behind `transport`. */
export async function runTO2(transport: FdoTransport, input: RunTO2Input): Promise<TO2Result> {
  let last = MsgType.TO2HelloDevice as number;
  const send = async (type: number, body: Uint8Array, expected: number) => {
    last = expected;
    const reply = await transport.send(type, body);
    if (reply.msgType !== expected) {
      throw new InvalidMessageError(`the owner answered message ${type} with ${reply.msgType}, expected ${expected}`);
    }
    return reply.body;
  };
  try {
    return await runTO2Steps(send, input);
  } catch (err) {
    // Tell the owner why we stop (§3.7); its own refusals (FdoPeerError) and network failures need no answer.
    if (err instanceof FdoError) {
      await transport.send(MsgType.Error, encodeErrorMessage(errorMessageFrom(err, last))).catch(() => undefined);
    }
    throw err;
  }
}

type Send = (type: number, body: Uint8Array, expected: number) => Promise<Uint8Array>;

function defaultKex(deviceKey: PrivateKeyDer): string {
  return deviceSignatureAlg(publicKeyOf(deviceKey)) === 'ES384' ? 'ECDH384' : 'ECDH256';
}

async function runTO2Steps(send: Send, input: RunTO2Input): Promise<TO2Result> {
  const crypto = input.crypto ?? nodeCrypto;
  const cred = input.credential;
  const devicePublic = publicKeyOf(input.deviceKey);
  const alg = deviceSignatureAlg(devicePublic);
  const kexName = input.kexSuite ?? defaultKex(input.deviceKey);
  const suite = cipherSuite(input.cipherSuite ?? CipherSuiteId.A128GCM);
  const nonceTO2ProveOV = newNonce(crypto);
  const hello = encodeTO2HelloDevice({
    maxDeviceMessageSize: input.maxDeviceMessageSize ?? 0xffff,
    guid: cred.guid,
    nonceTO2ProveOV,
    kexSuiteName: kexName,
    cipherSuiteName: suite.id,
    eASigInfo: sigInfoFor(alg),
  });
  const prove = decodeTO2ProveOVHdr(await send(MsgType.TO2HelloDevice, hello, MsgType.TO2ProveOVHdr));
  checkProveOVHdr(crypto, cred, prove, hello, nonceTO2ProveOV);
  const proven = await verifyEntries(send, crypto, prove);
  if (input.to1d !== undefined && !input.to1d.verify(crypto, proven.ownerKey.toDer())) {
    throw new InvalidMessageError('to1d from TO1 is not signed by the owner key the voucher proves');
  }
  input.onProgress?.({ step: 'owner-proven', ownerKey: proven.ownerKey, ovEntries: prove.payload.numOVEntries });

  // §5.5.6 TO2.ProveDevice; the tunnel starts with the answer.
  const exchange = respondDevice(crypto, kexName, prove.payload.xAKeyExchange, proven.ownerKey.toDer());
  const nonceTO2SetupDv = newNonce(crypto);
  const proveDevice = signTO2ProveDevice(
    crypto,
    { alg: signatureAlgorithmByName(alg), key: input.deviceKey },
    { guid: cred.guid, nonceTO2ProveDv: prove.nonceTO2ProveDv, nonceTO2SetupDv, xBKeyExchange: exchange.xB },
  );
  const material = kdf(crypto, suite.prf, exchange.shSe, exchange.contextRand, keyMaterialLength(suite));
  const tunnel = createSessionCrypto(crypto, suite, splitKeyMaterial(suite, material));
  const setup = decodeTO2SetupDevice(
    tunnel.decrypt(await send(MsgType.TO2ProveDevice, encodeTO2ProveDevice(proveDevice), MsgType.TO2SetupDevice)),
  );
  checkSetupDevice(crypto, setup, nonceTO2SetupDv);
  const reuse = isReuse(cred, prove, proven, setup);
  if (reuse && input.allowCredentialReuse === false) {
    throw new CredentialReuseError('this device does not accept credential reuse');
  }
  const replacement = reuse ? null : replacementOf(crypto, cred, prove, setup);
  input.onProgress?.({ step: 'setup-device', replacementGuid: setup.payload.guid, credentialReused: reuse });

  const ready = encodeTO2DeviceServiceInfoReady({
    replacementHmac: replacement?.hmac ?? null,
    maxOwnerServiceInfoSz: input.maxOwnerServiceInfoSize ?? DEFAULT_SERVICE_INFO_SIZE,
  });
  const sizes = decodeTO2OwnerServiceInfoReady(
    tunnel.decrypt(
      await send(MsgType.TO2DeviceServiceInfoReady, tunnel.encrypt(ready), MsgType.TO2OwnerServiceInfoReady),
    ),
  );
  const maxDeviceServiceInfoSz = sizes.maxDeviceServiceInfoSz ?? DEFAULT_SERVICE_INFO_SIZE;
  const driver = serviceInfoDriver(input, maxDeviceServiceInfoSz);
  await serviceInfoLoop(send, tunnel, driver, maxDeviceServiceInfoSz, input);

  const done2 = decodeTO2Done2(
    tunnel.decrypt(
      await send(
        MsgType.TO2Done,
        tunnel.encrypt(encodeTO2Done({ nonceTO2ProveDv: prove.nonceTO2ProveDv })),
        MsgType.TO2Done2,
      ),
    ),
  );
  if (!equal(done2.nonceTO2SetupDv, nonceTO2SetupDv)) {
    throw new InvalidMessageError('TO2.Done2 does not carry the NonceTO2SetupDv this device sent');
  }
  return {
    replacementCredential: replacement?.credential ?? cred,
    credentialReused: reuse,
    serviceInfoResults: driver.results(),
  };
}

/** The device's ServiceInfo driver, reporting each `module:active` answer as progress. */
function serviceInfoDriver(input: RunTO2Input, maxDeviceServiceInfoSz: number): DeviceServiceInfoDriver {
  const onProgress = input.onProgress;
  return new DeviceServiceInfoDriver(input.devmod, input.serviceInfoModules ?? [], {
    maxDeviceServiceInfoSz,
    ...(onProgress === undefined
      ? {}
      : {
          onActivation: (module: string, requested: boolean, active: boolean) =>
            onProgress({ step: 'service-info-module', module, requested, active }),
        }),
  });
}

/** §5.5.3: the owner's signature, nonce, hello-device hash, GUID, HMAC and manufacturer key. */
function checkProveOVHdr(
  crypto: CryptoProvider,
  cred: DeviceCredential,
  prove: TO2ProveOVHdr,
  hello: Uint8Array,
  nonceTO2ProveOV: Uint8Array,
): void {
  const p = prove.payload;
  if (!prove.sign1.verify(crypto, prove.ownerPubKey.toDer())) {
    throw new InvalidMessageError('TO2.ProveOVHdr is not signed by the key in CUPHOwnerPubKey');
  }
  if (!equal(p.nonceTO2ProveOV, nonceTO2ProveOV)) {
    throw new InvalidMessageError('TO2.ProveOVHdr does not carry the NonceTO2ProveOV this device sent');
  }
  if (!p.helloDeviceHash.matches(crypto, hello)) {
    throw new InvalidMessageError('TO2.ProveOVHdr helloDeviceHash is not the hash of this TO2.HelloDevice');
  }
  if (!equal(p.ovHeader.guid, cred.guid)) throw new InvalidOwnershipVoucherError('the voucher is for another GUID');
  if (!p.hmac.verify(crypto, cred.hmacSecret, p.ovHeader.bytes)) {
    throw new InvalidOwnershipVoucherError('the voucher header HMAC does not match this device secret');
  }
  if (!cred.matchesManufacturerKey(crypto, p.ovHeader.publicKey)) {
    throw new InvalidOwnershipVoucherError(
      'the voucher manufacturer key is not the one this device trusts (DCPubKeyHash)',
    );
  }
}

/** §5.5.4–§5.5.5: fetches and checks every entry, from OVPubKey to the key that signed ProveOVHdr. */
async function verifyEntries(send: Send, crypto: CryptoProvider, prove: TO2ProveOVHdr) {
  const header = prove.payload.ovHeader;
  let prevKey = header.publicKey;
  let prevBytes = concat(header.bytes, encode(prove.payload.hmac.toCbor()));
  const hdrInfo = headerInfoBytes(header);
  for (let i = 0; i < prove.payload.numOVEntries; i++) {
    const body = await send(
      MsgType.TO2GetOVNextEntry,
      encodeTO2GetOVNextEntry({ entryNum: i }),
      MsgType.TO2OVNextEntry,
    );
    const { entryNum, entry } = decodeTO2OVNextEntry(body);
    if (entryNum !== i) throw new InvalidMessageError(`TO2.OVNextEntry is entry ${entryNum}, asked for ${i}`);
    if (!entry.sign1.verify(crypto, prevKey.toDer())) {
      throw new InvalidOwnershipVoucherError(`voucher entry ${i} is not signed by the previous owner key`);
    }
    const { prevHash, hdrInfoHash, publicKey } = entry.payload;
    if (!prevHash.matches(crypto, prevBytes) || !hdrInfoHash.matches(crypto, hdrInfo)) {
      throw new InvalidOwnershipVoucherError(`voucher entry ${i} does not chain to the previous entry or header`);
    }
    prevKey = publicKey;
    prevBytes = entry.bytes;
  }
  if (!prevKey.sameKey(prove.ownerPubKey)) {
    throw new InvalidOwnershipVoucherError('the voucher is not extended to the owner key that signed TO2.ProveOVHdr');
  }
  return { prove, ownerKey: prevKey } satisfies Proven;
}

function checkSetupDevice(crypto: CryptoProvider, setup: TO2SetupDevice, nonceTO2SetupDv: Uint8Array): void {
  if (!setup.sign1.verify(crypto, setup.payload.owner2Key.toDer())) {
    throw new InvalidMessageError('TO2.SetupDevice is not signed by its Owner2Key');
  }
  if (!equal(setup.payload.nonceTO2SetupDv, nonceTO2SetupDv)) {
    throw new InvalidMessageError('TO2.SetupDevice does not carry the NonceTO2SetupDv this device sent');
  }
}

/** §5.5.9 credential reuse: the owner sent back the current GUID, RV info and owner key. */
function isReuse(cred: DeviceCredential, prove: TO2ProveOVHdr, proven: Proven, setup: TO2SetupDevice): boolean {
  const p = setup.payload;
  return (
    equal(p.guid, cred.guid) &&
    equal(encode(p.rendezvousInfo.toCbor()), encode(prove.payload.ovHeader.rvInfo.toCbor())) &&
    p.owner2Key.sameKey(proven.ownerKey)
  );
}

/** The replacement credential and the HMAC of the replacement OVHeader under a new secret (§5.5.9). */
function replacementOf(crypto: CryptoProvider, cred: DeviceCredential, prove: TO2ProveOVHdr, setup: TO2SetupDevice) {
  const old = prove.payload.ovHeader;
  const p = setup.payload;
  const header = OVHeader.create({
    guid: p.guid,
    rvInfo: p.rendezvousInfo,
    deviceInfo: old.deviceInfo,
    publicKey: p.owner2Key,
    certChainHash: old.certChainHash,
  });
  const hmacAlg = prove.payload.hmac.alg;
  const secret = crypto.randomBytes(cred.hmacSecret.length);
  const hmac = HMac.compute(crypto, hmacAlg, secret, header.bytes);
  const credential = new DeviceCredential({
    active: true,
    protVer: cred.protVer,
    hmacSecret: secret,
    deviceInfo: cred.deviceInfo,
    guid: p.guid,
    rvInfo: p.rendezvousInfo,
    pubKeyHash: Hash.compute(crypto, cred.pubKeyHash.alg, encode(p.owner2Key.toCbor())),
  });
  return { hmac, credential };
}

/** §5.5.11–§5.5.12: devmod first, then rounds until the owner says IsDone. */
async function serviceInfoLoop(
  send: Send,
  tunnel: SessionCrypto,
  driver: DeviceServiceInfoDriver,
  maxSize: number,
  input: RunTO2Input,
): Promise<void> {
  const pack = (entries: ServiceInfo) => {
    try {
      return packServiceInfo(entries, maxSize);
    } catch (err) {
      throw new InvalidMessageError(
        `device ServiceInfo does not fit maxDeviceServiceInfoSz: ${(err as Error).message}`,
      );
    }
  };
  let queue = pack(driver.initial());
  let pending: ServiceInfo = [];
  const limit = input.maxServiceInfoRounds ?? 10_000;
  for (let round = 0; round < limit; round++) {
    const chunk = queue.shift() ?? [];
    const body = encodeTO2DeviceServiceInfo({ isMoreServiceInfo: queue.length > 0, serviceInfo: chunk });
    const reply = decodeTO2OwnerServiceInfo(
      tunnel.decrypt(await send(MsgType.TO2DeviceServiceInfo, tunnel.encrypt(body), MsgType.TO2OwnerServiceInfo)),
    );
    if (reply.serviceInfo.length > 0) pending.push(...(await driver.handle(reply.serviceInfo)));
    if (reply.isDone) return;
    // While our batch or the owner's is unfinished, keep sending (empty when ours is done).
    if (queue.length > 0 || reply.isMoreServiceInfo) continue;
    queue = pack(pending);
    pending = [];
  }
  throw new InvalidMessageError(`ServiceInfo did not finish within ${limit} rounds`);
}
