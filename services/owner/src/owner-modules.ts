/**
 * Owner ServiceInfo modules loaded from configuration (FDO_OWNER_MODULES): each entry is a file path
 * or a package name, imported at start. Its default export is a module (the OwnerServiceInfoModule
 * interface of @fdo/protocol/serviceinfo), an array of modules, or a function of the host context
 * returning either (possibly async). See docs/owner-modules.md and examples/owner-module-hello.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { OwnerServiceInfoModule } from '@fdo/protocol/serviceinfo';
import type { FastifyBaseLogger } from 'fastify';

/** What a module factory is given. */
export interface OwnerModuleHost {
  /** The owner's data folder (a module may keep files there). */
  dataDir: string;
  log: FastifyBaseLogger;
}

type Loaded = OwnerServiceInfoModule | readonly OwnerServiceInfoModule[];
type Factory = (host: OwnerModuleHost) => Loaded | Promise<Loaded>;

function check(spec: string, m: unknown): OwnerServiceInfoModule {
  const o = m as Partial<OwnerServiceInfoModule> | null;
  const ok =
    typeof o === 'object' &&
    o !== null &&
    typeof o.name === 'string' &&
    o.name !== '' &&
    ['start', 'produce', 'receive'].every((f) => typeof (o as Record<string, unknown>)[f] === 'function');
  if (!ok) {
    throw new Error(
      `FDO_OWNER_MODULES: ${spec} does not export an owner module (an object with name, start, produce and receive, or a function returning one)`,
    );
  }
  return o as OwnerServiceInfoModule;
}

export async function loadOwnerModules(
  specifiers: readonly string[],
  host: OwnerModuleHost,
): Promise<OwnerServiceInfoModule[]> {
  const out: OwnerServiceInfoModule[] = [];
  for (const spec of specifiers) {
    let exported: unknown;
    try {
      exported = ((await import(isAbsolute(spec) ? pathToFileURL(spec).href : spec)) as { default?: unknown }).default;
    } catch (err) {
      throw new Error(`FDO_OWNER_MODULES: cannot import ${spec}: ${(err as Error).message}`, { cause: err });
    }
    const value = typeof exported === 'function' ? await (exported as Factory)(host) : exported;
    for (const m of Array.isArray(value) ? value : [value]) out.push(check(spec, m));
  }
  return out;
}

/** Refuses two modules of one name: the device would not know which one a message is for. */
export function checkModuleNames(modules: readonly OwnerServiceInfoModule[]): void {
  const seen = new Set<string>();
  for (const m of modules) {
    if (seen.has(m.name)) {
      throw new Error(
        `two owner ServiceInfo modules are named ${m.name} (credential profiles use fdo-platform.profile, fdo.csr and fdo.download): keep one`,
      );
    }
    seen.add(m.name);
  }
}
