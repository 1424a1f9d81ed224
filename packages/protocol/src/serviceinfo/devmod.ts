/**
 * The devmod module (FDO 1.1 §3.8.3): the device describes itself in its first
 * TO2.DeviceServiceInfo. Required keys: active, os, arch, version, device, sep, bin, nummodules,
 * modules; optional: sn, pathsep, nl, tmp, dir, progenv, mudurl.
 *
 * ```cddl
 * devmod:modules = [ start: uint, count: uint, * tstr ]   ; one chunk of the module list
 * ```
 */
import * as read from '../cbor/read.js';
import { MessageBodyError } from '../errors.js';
import {
  Devmod,
  DEVMOD_REQUIRED,
  kvValue,
  serviceInfoKV,
  splitKey,
  type ServiceInfoKV,
} from '../types/service-info.js';

/** What a device tells about itself (the device side fills it in). */
export interface DevmodInfo {
  os: string;
  arch: string;
  version: string;
  device: string;
  sn?: string;
  /** Path separator (default "/"). */
  pathsep?: string;
  /** Command separator (required by §3.8.3; default ";"). */
  sep?: string;
  nl?: string;
  tmp?: string;
  dir?: string;
  progenv?: string;
  /** Executable type (required; default: `arch`). */
  bin?: string;
  mudurl?: string;
}

/** devmod as the owner received it, checked; JSON-serialisable. */
export interface DevmodFacts {
  os: string;
  arch: string;
  version: string;
  device: string;
  sep: string;
  bin: string;
  sn: string | null;
  pathsep: string | null;
  nl: string | null;
  tmp: string | null;
  dir: string | null;
  progenv: string | null;
  mudurl: string | null;
  /** The modules the device supports (devmod:modules), devmod included. */
  modules: string[];
}

const TEXT_KEYS = ['os', 'arch', 'version', 'device', 'sep', 'bin'] as const;
const OPTIONAL_TEXT_KEYS = ['sn', 'pathsep', 'nl', 'tmp', 'dir', 'progenv', 'mudurl'] as const;

/** Device side: the devmod messages, in the order go-fdo sends them, listing `moduleNames` (devmod first). */
export function devmodMessages(info: DevmodInfo, moduleNames: readonly string[]): ServiceInfoKV[] {
  const names = ['devmod', ...moduleNames.filter((n) => n !== 'devmod')];
  const kv = (message: string, value: unknown) => serviceInfoKV(Devmod.module, message, value);
  const out = [kv('active', true), kv('os', info.os), kv('arch', info.arch), kv('version', info.version)];
  out.push(kv('device', info.device));
  if (info.sn !== undefined) out.push(kv('sn', info.sn));
  out.push(kv('pathsep', info.pathsep ?? '/'), kv('sep', info.sep ?? ';'));
  for (const key of ['nl', 'tmp', 'dir', 'progenv', 'mudurl'] as const) {
    const v = info[key];
    if (v !== undefined) out.push(kv(key, v));
  }
  out.push(kv('bin', info.bin ?? info.arch), kv('nummodules', names.length));
  // One [start, count, names…] chunk per module keeps each entry small whatever the size limit.
  names.forEach((name, i) => out.push(kv('modules', [i, 1, name])));
  return out;
}

const fail = (text: string): never => {
  throw new MessageBodyError(`devmod: ${text}`);
};

/**
 * Owner side: reads devmod from the device's first ServiceInfo entries (other modules' entries are
 * ignored). Missing required keys or values of the wrong type are MessageBodyError (100).
 */
export function parseDevmod(entries: readonly ServiceInfoKV[]): DevmodFacts {
  const values = new Map<string, unknown>();
  const modules: string[] = [];
  for (const kv of entries) {
    const { module, message } = splitKey(kv.key);
    if (module !== Devmod.module) continue;
    const value = kvValue(kv);
    if (message === 'modules') {
      const [start, count, ...names] = read.array(value, 'devmod:modules');
      read.uint(start, 'devmod:modules.start');
      const n = read.uint(count, 'devmod:modules.count');
      if (n !== names.length) fail(`modules chunk says ${n} names but has ${names.length}`);
      // The C SDK sent start = 3 before client-sdk #292; like go-fdo we keep the order, not the index.
      names.forEach((name, i) => modules.push(read.text(name, `devmod:modules[${i}]`)));
    } else values.set(message, value);
  }
  const missing = DEVMOD_REQUIRED.filter((k) => !values.has(splitKey(k).message) && k !== Devmod.modules);
  if (modules.length === 0) missing.push(Devmod.modules);
  if (missing.length > 0) fail(`the device did not send ${missing.join(', ')} (required by FDO 1.1 §3.8.3)`);
  if (values.get('active') !== true) fail('devmod:active must be true');
  const nummodules = read.uint(values.get('nummodules'), 'devmod:nummodules');
  if (nummodules !== modules.length) {
    fail(`devmod:nummodules is ${nummodules} but devmod:modules lists ${modules.length}`);
  }
  const text = (k: string) => read.text(values.get(k), `devmod:${k}`);
  const optional = (k: string) => (values.has(k) ? text(k) : null);
  const facts = { modules } as Partial<DevmodFacts> & { modules: string[] };
  for (const k of TEXT_KEYS) facts[k] = text(k);
  for (const k of OPTIONAL_TEXT_KEYS) facts[k] = optional(k);
  return facts as DevmodFacts;
}
