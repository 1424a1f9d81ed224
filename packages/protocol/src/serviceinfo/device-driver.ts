/**
 * Device side of the ServiceInfo exchange (FDO 1.1 §3.8): devmod first, then owner messages routed
 * to the device's modules by name. `name:active` is answered by the driver (true only for a module
 * the device has, §3.8.3.1); messages for unknown or inactive modules are ignored.
 */
import { kvValue, splitKey, type ServiceInfoKV } from '../types/service-info.js';
import { devmodMessages, type DevmodInfo } from './devmod.js';
import type { DeviceServiceInfoModule } from './module.js';
import { encode } from '../cbor/codec.js';

/** The owner sent `module:active` (`requested`); the device answered `active` (false for a module it lacks). */
export type ModuleActivation = (module: string, requested: boolean, active: boolean) => void;

export class DeviceServiceInfoDriver {
  readonly #modules: Map<string, DeviceServiceInfoModule>;
  readonly #active = new Set<string>();
  readonly #devmod: DevmodInfo;
  readonly #onActivation: ModuleActivation | undefined;

  constructor(devmod: DevmodInfo, modules: readonly DeviceServiceInfoModule[], onActivation?: ModuleActivation) {
    this.#devmod = devmod;
    this.#onActivation = onActivation;
    this.#modules = new Map(modules.filter((m) => m.name !== 'devmod').map((m) => [m.name, m]));
  }

  /** The device's first ServiceInfo: devmod, listing every module it has. */
  initial(): ServiceInfoKV[] {
    return devmodMessages(this.#devmod, [...this.#modules.keys()]);
  }

  /** Handles one TO2.OwnerServiceInfo's entries; returns the replies to send in the next round. */
  async handle(entries: readonly ServiceInfoKV[]): Promise<ServiceInfoKV[]> {
    const replies: ServiceInfoKV[] = [];
    for (const kv of entries) {
      const { module, message } = splitKey(kv.key);
      const mod = this.#modules.get(module);
      const value = kvValue(kv);
      if (message === 'active') {
        const active = mod !== undefined && value === true;
        if (mod !== undefined) await mod.activate?.(value === true);
        if (active) this.#active.add(module);
        else this.#active.delete(module);
        replies.push({ key: `${module}:active`, value: encode(active) });
        this.#onActivation?.(module, value === true, active);
        continue;
      }
      if (mod === undefined || !this.#active.has(module)) continue;
      const answer = (await mod.receive(message, value)) ?? [];
      for (const m of answer) replies.push({ key: `${module}:${m.message}`, value: encode(m.value) });
    }
    return replies;
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
