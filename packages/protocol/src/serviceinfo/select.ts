/**
 * Choosing owner ServiceInfo modules per device (FDO 1.1 §3.8): by GUID, by the owner's tags for the
 * device, or by what devmod reported. `forDevices(module, selector)` returns the module with an
 * `appliesTo` that requires every criterion given (and the module's own `appliesTo`, if any); within a
 * criterion any listed value matches.
 */
import type { DevmodFacts } from './devmod.js';
import type { DeviceFacts, JsonValue, OwnerServiceInfoModule } from './module.js';

type DevmodTextKey = 'os' | 'arch' | 'version' | 'device' | 'sn';

export interface ModuleSelector {
  /** Device GUIDs (canonical text form) the module runs for. */
  guids?: readonly string[];
  /** The module runs for a device carrying any of these tags. */
  tags?: readonly string[];
  /** devmod facts the device must report: a string matches exactly, a RegExp by test. */
  devmod?: Partial<Record<DevmodTextKey, string | RegExp>>;
}

function factMatches(actual: string | null, wanted: string | RegExp): boolean {
  if (actual === null) return false;
  return typeof wanted === 'string' ? actual === wanted : wanted.test(actual);
}

/** True when `device` meets every criterion of `selector` (an empty selector matches every device). */
export function selectorMatches(
  selector: ModuleSelector,
  device: Pick<DeviceFacts, 'guid' | 'tags' | 'devmod'>,
): boolean {
  if (selector.guids !== undefined && !selector.guids.includes(device.guid.toLowerCase())) return false;
  if (selector.tags !== undefined && !selector.tags.some((t) => device.tags.includes(t))) return false;
  for (const [key, wanted] of Object.entries(selector.devmod ?? {})) {
    if (wanted === undefined) continue;
    if (!factMatches(device.devmod[key as keyof DevmodFacts] as string | null, wanted)) return false;
  }
  return true;
}

/** The module, restricted to the devices `selector` matches. */
export function forDevices<S extends JsonValue>(
  module: OwnerServiceInfoModule<S>,
  selector: ModuleSelector,
): OwnerServiceInfoModule<S> {
  const own = module.appliesTo?.bind(module);
  const restricted: OwnerServiceInfoModule<S> = Object.create(module) as OwnerServiceInfoModule<S>;
  return Object.assign(restricted, {
    appliesTo: (device: DeviceFacts) => selectorMatches(selector, device) && (own === undefined || own(device)),
  });
}
