/**
 * Device side of the ServiceInfo exchange (FDO 1.1 §3.8): devmod first, then owner messages routed
 * to the device's modules by name. `name:active` is answered by the driver (true only for a module
 * the device has, §3.8.3.1); messages for unknown or inactive modules are ignored.
 *
 * A value the owner split across entries (chunk.ts) is joined here, also across
 * TO2.OwnerServiceInfo messages; replies larger than one entry are split to the device's budget.
 */
import { encode } from '../cbor/codec.js';
import { DEFAULT_SERVICE_INFO_SIZE, splitKey, type ServiceInfoKV } from '../types/service-info.js';
import { splitValue, ValueJoiner } from './chunk.js';
import { devmodMessages, type DevmodInfo } from './devmod.js';
import type { DeviceModuleContext, DeviceModuleReplies, DeviceServiceInfoModule } from './module.js';

/** The owner sent `module:active` (`requested`); the device answered `active` (false for a module it lacks). */
export type ModuleActivation = (module: string, requested: boolean, active: boolean) => void;

export interface DeviceDriverOptions {
  /** `maxDeviceServiceInfoSz`: what the owner accepts in one TO2.DeviceServiceInfo (§3.9). */
  maxDeviceServiceInfoSz?: number;
  /** Told of each `module:active` answer (progress reporting). */
  onActivation?: ModuleActivation;
}

export class DeviceServiceInfoDriver {
  readonly #modules: Map<string, DeviceServiceInfoModule>;
  readonly #active = new Set<string>();
  readonly #devmod: DevmodInfo;
  readonly #joiner = new ValueJoiner();
  readonly #ctx: DeviceModuleContext;

  readonly #onActivation: ModuleActivation | undefined;

  constructor(devmod: DevmodInfo, modules: readonly DeviceServiceInfoModule[], options: DeviceDriverOptions = {}) {
    this.#devmod = devmod;
    this.#onActivation = options.onActivation;
    this.#modules = new Map(modules.filter((m) => m.name !== 'devmod').map((m) => [m.name, m]));
    // One entry must fit in a ServiceInfo array of one: the array head takes a byte.
    this.#ctx = { budget: (options.maxDeviceServiceInfoSz ?? DEFAULT_SERVICE_INFO_SIZE) - 1 };
  }

  /** The device's first ServiceInfo: devmod, listing every module it has. */
  initial(): ServiceInfoKV[] {
    return devmodMessages(this.#devmod, [...this.#modules.keys()]);
  }

  /** Handles one TO2.OwnerServiceInfo's entries; returns the replies to send in the next round. */
  async handle(entries: readonly ServiceInfoKV[]): Promise<ServiceInfoKV[]> {
    const replies: ServiceInfoKV[] = [];
    for (const kv of entries) {
      for (const { key, value } of this.#joiner.push(kv)) replies.push(...(await this.#dispatch(key, value)));
    }
    return replies;
  }

  async #dispatch(key: string, value: unknown): Promise<ServiceInfoKV[]> {
    const { module, message } = splitKey(key);
    const mod = this.#modules.get(module);
    if (message === 'active') {
      const active = mod !== undefined && value === true;
      const out: ServiceInfoKV[] = [{ key: `${module}:active`, value: encode(active) }];
      if (active) this.#active.add(module);
      else this.#active.delete(module);
      if (mod !== undefined) out.push(...this.#replies(module, await mod.activate?.(value === true, this.#ctx)));
      this.#onActivation?.(module, value === true, active);
      return out;
    }
    if (mod === undefined || !this.#active.has(module)) return [];
    return this.#replies(module, await mod.receive(message, value, this.#ctx));
  }

  #replies(module: string, answer: DeviceModuleReplies): ServiceInfoKV[] {
    const out: ServiceInfoKV[] = [];
    for (const m of answer ?? []) out.push(...splitValue(`${module}:${m.message}`, encode(m.value), this.#ctx.budget));
    return out;
  }

  /** Each module's result, by name. */
  results(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, mod] of this.#modules) {
      out[name] = { active: this.#active.has(name), result: mod.result?.() };
    }
    return out;
  }
}
