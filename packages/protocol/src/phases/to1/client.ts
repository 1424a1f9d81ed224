/**
 * TO1, device role (FDO 1.1 §5.4): HelloRV → HelloRVAck → ProveToRV → RVRedirect over any
 * {@link FdoTransport}. The result says where the owner's TO2 server is; its signature is checked
 * in TO2 (§5.5.3), once TO2.ProveOVHdr has proven the owner key.
 */
import { publicKeyOf } from '../../crypto/keys.js';
import { nodeCrypto } from '../../crypto/node.js';
import type { CryptoProvider, PrivateKeyDer, SignatureAlg } from '../../crypto/provider.js';
import type { To1d } from '../../messages/to1d.js';
import type { DeviceCredential } from '../../types/device-credential.js';
import type { RVTO2Addr } from '../../types/rvto2addr.js';
import type { FdoTransport } from '../transport.js';
import { deviceSignatureAlg, sendTO1HelloRV, sigInfoFor } from './hello-rv.js';
import { sendTO1ProveToRV } from './prove-to-rv.js';

export interface RunTO1Input {
  /** The device credential from DI (its GUID is what TO1 asks about). */
  credential: Pick<DeviceCredential, 'guid'>;
  /** The device attestation key: the key of the leaf of the voucher's device certificate chain. */
  deviceKey: PrivateKeyDer;
  /** Default: {@link nodeCrypto}. */
  provider?: CryptoProvider;
  /** Default: ES256/ES384 by curve, RS256/RS384 by modulus size. */
  signatureAlg?: SignatureAlg;
}

export interface TO1Result {
  /** to1d as the owner signed it: keep it for TO2, which checks its signature with the owner key. */
  to1d: To1d;
  /** to1dRV: the owner's TO2 addresses, in the owner's order of preference. */
  addresses: RVTO2Addr[];
}

/** Asks the rendezvous server behind `transport` where this device's owner is. */
export async function runTO1(transport: FdoTransport, input: RunTO1Input): Promise<TO1Result> {
  const provider = input.provider ?? nodeCrypto;
  const alg = input.signatureAlg ?? deviceSignatureAlg(publicKeyOf(input.deviceKey));
  const guid = input.credential.guid;
  const ack = await sendTO1HelloRV(transport, guid, sigInfoFor(alg));
  const to1d = await sendTO1ProveToRV(transport, provider, {
    guid,
    nonceTO1Proof: ack.nonceTO1Proof,
    deviceKey: input.deviceKey,
    alg,
  });
  return { to1d, addresses: to1d.payload.rv };
}
