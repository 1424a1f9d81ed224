/**
 * TO2.GetOVNextEntry (62) → TO2.OVNextEntry (63), FDO 1.1 §5.5.4–§5.5.5.
 * The device asks for the voucher's entries in order, 0 to NumOVEntries − 1; after the last one it
 * sends TO2.ProveDevice.
 */
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO2GetOVNextEntry, encodeTO2OVNextEntry } from '../../messages/to2-prove.js';
import { recordOf, type To2Answer, type To2Context } from './context.js';
import type { To2OwnerSession } from './state.js';

const prev = { prevMsgType: MsgType.TO2GetOVNextEntry };

export async function answerTO2GetOVNextEntry(
  ctx: To2Context,
  s: To2OwnerSession,
  body: Uint8Array,
): Promise<To2Answer> {
  const { entryNum } = decodeTO2GetOVNextEntry(body);
  if (entryNum !== s.nextEntry) {
    const range = `0–${s.numEntries - 1}`;
    throw new InvalidMessageError(
      entryNum >= s.numEntries
        ? `OVEntryNum ${entryNum} is out of range: the voucher has entries ${range}`
        : `OVEntryNum ${entryNum} asked out of order: expected entry ${s.nextEntry}`,
      prev,
    );
  }
  const { voucher } = await recordOf(ctx, s, MsgType.TO2GetOVNextEntry);
  const entry = voucher.entries[entryNum];
  if (entry === undefined || voucher.entries.length !== s.numEntries) {
    throw new InvalidMessageError(
      'the voucher changed during this TO2 session; start again with TO2.HelloDevice',
      prev,
    );
  }
  s.nextEntry += 1;
  s.step = s.nextEntry < s.numEntries ? MsgType.TO2GetOVNextEntry : MsgType.TO2ProveDevice;
  return { msgType: MsgType.TO2OVNextEntry, body: encodeTO2OVNextEntry({ entryNum, entry }) };
}
