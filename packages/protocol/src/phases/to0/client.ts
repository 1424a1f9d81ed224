/**
 * TO0, owner role (FDO 1.1 §5.3): Hello → HelloAck → OwnerSign → AcceptOwner over any
 * {@link FdoTransport}. The owner service runs it for each voucher it wants devices sent to it for.
 */
import type { CryptoProvider, PrivateKeyDer } from '../../crypto/provider.js';
import type { RVTO2Addr } from '../../types/rvto2addr.js';
import type { OwnershipVoucher } from '../../voucher/voucher.js';
import type { FdoTransport } from '../transport.js';
import { sendTO0Hello } from './hello.js';
import { sendTO0OwnerSign } from './owner-sign.js';

export interface RunTO0Input {
  crypto: CryptoProvider;
  /** The voucher, extended to the owner (its last entry names the public half of `ownerKey`). */
  voucher: OwnershipVoucher;
  ownerKey: PrivateKeyDer;
  /** Where devices find the owner's TO2 server (to1dRV). */
  addresses: readonly RVTO2Addr[];
  /** How long to ask the registration to last. Default: 0xffffffff, the uint32 maximum, as go-fdo asks. */
  waitSeconds?: number;
}

export interface TO0Result {
  /** What the rendezvous server granted (TO0.AcceptOwner): run TO0 again before it runs out. */
  waitSeconds: number;
}

/** Registers the voucher's device at the rendezvous server behind `transport`. */
export async function runTO0(transport: FdoTransport, input: RunTO0Input): Promise<TO0Result> {
  const nonceTO0Sign = await sendTO0Hello(transport);
  const waitSeconds = await sendTO0OwnerSign(transport, input.crypto, {
    voucher: input.voucher,
    ownerKey: input.ownerKey,
    addresses: input.addresses,
    waitSeconds: input.waitSeconds ?? 0xffffffff,
    nonceTO0Sign,
  });
  return { waitSeconds };
}
