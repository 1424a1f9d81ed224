/**
 * What each ServiceInfo module of a TO2 did, for the device's record (GET /devices/:guid): its
 * outcome and a short detail (the certificate serial issued, the files sent…).
 */
import type { JsonValue } from '@fdo/protocol/serviceinfo';
import type { ModuleOutcome, OnboardingRecord } from '../store/device-status.js';

type Results = Record<string, { phase: string; result: JsonValue }>;
type Obj = Record<string, JsonValue>;

const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(module: string, result: JsonValue): { failed: boolean; detail: string } {
  if (module === 'fdo.csr' && isObj(result)) {
    const issued = (result.issued as Obj[] | undefined) ?? [];
    const refused = (result.refused as Obj[] | undefined) ?? [];
    const parts = [
      ...issued.map((i) => `certificate ${String(i.serialNumber)} issued (${String(i.subject)}, ${String(i.kind)})`),
      ...refused.map((r) => `${String(r.request)} refused: error ${String(r.error)}, ${String(r.reason)}`),
    ];
    return { failed: refused.length > 0, detail: parts.join('; ') };
  }
  if (module === 'fdo.download' && Array.isArray(result)) {
    const files = result as Obj[];
    return {
      failed: files.some((f) => f.done !== f.length),
      detail: files
        .map((f) => `${String(f.name)}: ${f.done === f.length ? `${String(f.length)} bytes` : 'failed'}`)
        .join(', '),
    };
  }
  const text = JSON.stringify(result) ?? '';
  return { failed: false, detail: text.length > 300 ? `${text.slice(0, 297)}...` : text };
}

export function onboardingRecord(results: Results): OnboardingRecord {
  const serviceInfo: ModuleOutcome[] = Object.entries(results).map(([module, { phase, result }]) => {
    if (phase === 'inactive') return { module, result: 'not-supported' };
    const { failed, detail } = describe(module, result);
    const outcome = phase !== 'done' ? 'incomplete' : failed ? 'error' : 'ok';
    return { module, result: outcome, ...(detail === '' ? {} : { detail }) };
  });
  const profile = results['fdo-platform.profile'];
  const name = profile?.phase === 'done' && isObj(profile.result) ? profile.result.name : null;
  return { serviceInfo, profile: typeof name === 'string' ? name : null };
}
