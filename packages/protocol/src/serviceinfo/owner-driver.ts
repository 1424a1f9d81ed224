/**
 * Owner side of the ServiceInfo exchange (FDO 1.1 §3.8, §5.5.11–§5.5.12): the state machine that
 * TO2.DeviceServiceInfo (68) → TO2.OwnerServiceInfo (69) runs, one call per message.
 *
 * - The device's entries are collected while it says IsMoreServiceInfo; the owner answers those
 *   messages with an empty, not-done OwnerServiceInfo.
 * - A complete device batch is one round: the first is devmod (parsed and checked, then the modules
 *   that apply are chosen and sent `name:active = true`); later ones deliver replies to the modules,
 *   which then produce their next messages.
 * - The owner's messages are packed into ServiceInfo arrays that fit the device's
 *   maxOwnerServiceInfoSz; while chunks remain, IsMoreServiceInfo is true and the device answers
 *   with empty messages until the last one.
 * - IsDone is sent when every module is done or inactive and nothing is left to send.
 *
 * The whole state is plain JSON (values as hex CBOR), stored with the TO2 session between messages.
 */
import { fromHex, toHex } from '../cbor/bytes.js';
import { encode } from '../cbor/codec.js';
import { InternalServerError, InvalidMessageError } from '../errors.js';
import { packServiceInfo, splitKey, type ServiceInfo, type ServiceInfoKV } from '../types/service-info.js';
import { joinValues, splitValue } from './chunk.js';
import { parseDevmod, type DevmodFacts } from './devmod.js';
import type { DeviceFacts, JsonValue, OwnerModuleContext, OwnerServiceInfoModule } from './module.js';

/** One ServiceInfoKeyVal as JSON: key and hex of the value's CBOR. */
export type StoredKV = [key: string, value: string];

export type ModulePhase = 'activating' | 'active' | 'inactive' | 'done';

export interface StoredModule {
  name: string;
  phase: ModulePhase;
  state: JsonValue;
}

export interface OwnerServiceInfoState {
  /** devmod once the first device batch arrived, else null. */
  devmod: DevmodFacts | null;
  /** Device entries of a batch still in progress (IsMoreServiceInfo was true). */
  inbox: StoredKV[];
  /** Owner chunks not yet sent, each one TO2.OwnerServiceInfo. */
  outbox: StoredKV[][];
  modules: StoredModule[];
  /** Complete device batches processed. */
  rounds: number;
  /** True once IsDone was sent. */
  done: boolean;
}

export interface OwnerServiceInfoContext {
  /** The modules this owner offers; those whose `appliesTo` accepts the device run. */
  modules: readonly OwnerServiceInfoModule[];
  guid: string;
  /** See DeviceFacts.nextGuid. */
  nextGuid: string;
  tags: readonly string[];
  /** The device's maxOwnerServiceInfoSz (or less, to fit its message size). */
  budget: number;
  /** Refuse after this many rounds (a module that never finishes). */
  maxRounds: number;
}

export interface OwnerServiceInfoReply {
  isMoreServiceInfo: boolean;
  isDone: boolean;
  serviceInfo: ServiceInfo;
}

export function newOwnerServiceInfoState(): OwnerServiceInfoState {
  return { devmod: null, inbox: [], outbox: [], modules: [], rounds: 0, done: false };
}

const store = (kv: ServiceInfoKV): StoredKV => [kv.key, toHex(kv.value)];
const load = ([key, value]: StoredKV): ServiceInfoKV => ({ key, value: fromHex(value) });

/** Answers one TO2.DeviceServiceInfo. Returns the new state (the input is not modified) and the reply. */
export async function ownerServiceInfoStep(
  previous: OwnerServiceInfoState,
  received: { isMoreServiceInfo: boolean; serviceInfo: ServiceInfo },
  ctx: OwnerServiceInfoContext,
): Promise<{ state: OwnerServiceInfoState; reply: OwnerServiceInfoReply }> {
  const st: OwnerServiceInfoState = structuredClone(previous);
  if (st.done) throw new InvalidMessageError('TO2.DeviceServiceInfo after IsDone: send TO2.Done');
  st.inbox.push(...received.serviceInfo.map(store));
  if (received.isMoreServiceInfo)
    return { state: st, reply: { isMoreServiceInfo: false, isDone: false, serviceInfo: [] } };
  if (st.outbox.length === 0) {
    st.rounds += 1;
    if (st.rounds > ctx.maxRounds) {
      throw new InvalidMessageError(`ServiceInfo did not finish within ${ctx.maxRounds} rounds`);
    }
    const batch = st.inbox.map(load);
    st.inbox = [];
    const entries = await runRound(st, batch, ctx);
    try {
      st.outbox = packServiceInfo(entries, ctx.budget).map((chunk) => chunk.map(store));
    } catch (err) {
      throw new InternalServerError(`ServiceInfo module output does not fit: ${(err as Error).message}`);
    }
  }
  const chunk = st.outbox.shift();
  if (chunk === undefined) {
    st.done = st.modules.every((m) => m.phase === 'done' || m.phase === 'inactive');
    return { state: st, reply: { isMoreServiceInfo: false, isDone: st.done, serviceInfo: [] } };
  }
  return { state: st, reply: { isMoreServiceInfo: st.outbox.length > 0, isDone: false, serviceInfo: chunk.map(load) } };
}

function moduleOf(ctx: OwnerServiceInfoContext, name: string): OwnerServiceInfoModule {
  const mod = ctx.modules.find((m) => m.name === name);
  if (mod === undefined) {
    throw new InternalServerError(`ServiceInfo module ${name} is stored in this session but not configured here`);
  }
  return mod;
}

/** One complete device batch in, the owner's next entries out. */
async function runRound(
  st: OwnerServiceInfoState,
  batch: readonly ServiceInfoKV[],
  ctx: OwnerServiceInfoContext,
): Promise<ServiceInfoKV[]> {
  const out: ServiceInfoKV[] = [];
  if (st.devmod === null) {
    st.devmod = parseDevmod(batch);
    const device = factsOf(st, ctx);
    for (const mod of ctx.modules) {
      if (mod.name === 'devmod' || (mod.appliesTo !== undefined && !(await mod.appliesTo(device)))) continue;
      const state = await mod.start(device);
      st.modules.push({ name: mod.name, phase: 'activating', state });
      // §3.8.3.1: a module is opened with name:active = true; the device answers true or false.
      out.push({ key: `${mod.name}:active`, value: encode(true) });
      for (const m of mod.open?.(state, device) ?? []) {
        out.push(...splitValue(`${mod.name}:${m.message}`, encode(m.value), ctx.budget - 1));
      }
    }
    return out;
  }
  const moduleCtx: OwnerModuleContext = { device: factsOf(st, ctx), budget: ctx.budget - 1 };
  // Values larger than one entry arrive split across consecutive entries with the same key (chunk.ts).
  for (const { key, value } of joinValues(batch)) {
    const { module, message } = splitKey(key);
    const entry = st.modules.find((m) => m.name === module);
    // Entries for devmod or for modules we did not open are ignored (§3.8.1).
    if (entry === undefined) continue;
    if (message === 'active') {
      if (entry.phase === 'activating') entry.phase = value === true ? 'active' : 'inactive';
      continue;
    }
    if (entry.phase === 'active') {
      entry.state = await moduleOf(ctx, module).receive(entry.state, { message, value }, moduleCtx);
    }
  }
  for (const entry of st.modules) {
    // No answer to name:active in the batch after it was sent: the device does not run the module.
    if (entry.phase === 'activating') entry.phase = 'inactive';
    if (entry.phase !== 'active') continue;
    const result = await moduleOf(ctx, entry.name).produce(entry.state, moduleCtx);
    entry.state = result.state;
    if (result.done) entry.phase = 'done';
    for (const m of result.messages) {
      out.push(...splitValue(`${entry.name}:${m.message}`, encode(m.value), moduleCtx.budget));
    }
  }
  return out;
}

function factsOf(st: OwnerServiceInfoState, ctx: OwnerServiceInfoContext): DeviceFacts {
  return { guid: ctx.guid, nextGuid: ctx.nextGuid, tags: ctx.tags, devmod: st.devmod! };
}

/** Per module: whether it ran (phase) and its result, for the onboarding record. */
export function ownerServiceInfoResults(
  st: OwnerServiceInfoState,
  modules: readonly OwnerServiceInfoModule[],
): Record<string, { phase: ModulePhase; result: JsonValue }> {
  const out: Record<string, { phase: ModulePhase; result: JsonValue }> = {};
  for (const entry of st.modules) {
    const mod = modules.find((m) => m.name === entry.name);
    out[entry.name] = { phase: entry.phase, result: mod?.result?.(entry.state) ?? entry.state };
  }
  return out;
}
