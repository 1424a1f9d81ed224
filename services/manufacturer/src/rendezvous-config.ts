/**
 * Rendezvous entries from configuration, turned into the RendezvousInfo (FDO 1.1 §3.3.10) that DI
 * writes into every voucher and device credential. Checked at start, with errors a person can act on.
 *
 * Two forms, one entry per rendezvous server:
 * - `FDO_MFG_RV`: URLs separated by spaces or commas, e.g.
 *   `http://rv.example.com:8040 https://10.0.0.5?owner_port=8443&delay=30&dev_only`
 * - the config file's `rendezvous` array of objects:
 *   `{ "dns": "rv.example.com", "port": 8040, "protocol": "http", "delaySec": 30 }`
 */
import { isIP } from 'node:net';
import { ipToBytes, RendezvousInfo, RVProtocol, RVVariable, type RendezvousInstruction } from '@fdo/protocol';

export const RV_PROTOCOLS = {
  rest: RVProtocol.Rest,
  http: RVProtocol.Http,
  https: RVProtocol.Https,
  tcp: RVProtocol.Tcp,
  tls: RVProtocol.Tls,
  'coap+tcp': RVProtocol.CoapTcp,
  coap: RVProtocol.Coap,
} as const;
export type RvProtocolName = keyof typeof RV_PROTOCOLS;

/** One rendezvous server as the manufacturer configured it. */
export interface RvEntry {
  /** A DNS name or an IP address literal. */
  host: string;
  protocol: RvProtocolName;
  devPort: number;
  ownerPort: number;
  delaySec?: number;
  /** Only the device uses this entry (TO1); only the owner (TO0); the device skips TO1 and goes straight to TO2. */
  devOnly?: boolean;
  ownerOnly?: boolean;
  bypass?: boolean;
}

export class RvConfigError extends Error {
  override name = 'RvConfigError';
}

const DEFAULT_PORT: Partial<Record<RvProtocolName, number>> = { http: 80, https: 443, rest: 80 };
const FLAGS = ['devOnly', 'ownerOnly', 'bypass'] as const;
const OBJECT_KEYS = ['host', 'dns', 'ip', 'port', 'devPort', 'ownerPort', 'protocol', 'delaySec', ...FLAGS];
const QUERY_KEYS: Record<string, string> = {
  dev_port: 'devPort',
  owner_port: 'ownerPort',
  delay: 'delaySec',
  dev_only: 'devOnly',
  owner_only: 'ownerOnly',
  bypass: 'bypass',
};

function fail(n: number, message: string): never {
  throw new RvConfigError(`RV entry ${n}: ${message}`);
}

function port(n: number, name: string, v: unknown): number {
  const num = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof num !== 'number' || !Number.isInteger(num) || num < 1 || num > 65535) {
    fail(n, `${name} ${JSON.stringify(v)} is not a valid port (1–65535)`);
  }
  return num;
}

function flag(n: number, name: string, v: unknown): boolean {
  if (v === true || v === '' || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  return fail(n, `${name} must be true or false, not ${JSON.stringify(v)}`);
}

function checkHost(n: number, host: unknown): string {
  if (typeof host !== 'string' || host.trim() === '') fail(n, 'needs a host: a DNS name or an IP address');
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (
    isIP(h) === 0 &&
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(h)
  ) {
    fail(n, `"${host}" is neither a DNS name nor an IP address`);
  }
  return h;
}

function objectOf(n: number, raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(n, 'must be an object such as { "dns": "rv.example.com", "port": 8040 }');
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OBJECT_KEYS.includes(key)) fail(n, `unknown setting "${key}" (expected ${OBJECT_KEYS.join(', ')})`);
  }
  return o;
}

function hostOf(n: number, o: Record<string, unknown>): string {
  const hosts = ['host', 'dns', 'ip'].filter((k) => o[k] !== undefined);
  if (hosts.length !== 1) fail(n, 'needs exactly one of "host", "dns" or "ip"');
  const host = checkHost(n, o[hosts[0]!]);
  if (o.ip !== undefined && isIP(host) === 0) fail(n, `"ip" is set to "${String(o.ip)}", which is not an IP address`);
  return host;
}

function protocolOf(n: number, o: Record<string, unknown>): RvProtocolName {
  const name = o.protocol ?? 'http';
  if (typeof name !== 'string' || !Object.hasOwn(RV_PROTOCOLS, name)) {
    fail(n, `protocol ${JSON.stringify(name)} is not one of ${Object.keys(RV_PROTOCOLS).join(', ')}`);
  }
  return name as RvProtocolName;
}

function delayOf(n: number, v: unknown): number {
  const d = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 0xffffffff) {
    fail(n, `delaySec ${JSON.stringify(v)} is not a number of seconds (0–4294967295)`);
  }
  return d;
}

/** Checks one entry given as an object (config file form). `n` counts from 1 in messages. */
export function rvEntryFromObject(n: number, raw: unknown): RvEntry {
  const o = objectOf(n, raw);
  const host = hostOf(n, o);
  const protocol = protocolOf(n, o);
  const fallback = o.port ?? DEFAULT_PORT[protocol];
  if (fallback === undefined && (o.devPort === undefined || o.ownerPort === undefined)) {
    fail(n, `protocol ${protocol} has no default port: set "port"`);
  }
  const entry: RvEntry = {
    host,
    protocol,
    devPort: port(n, o.devPort === undefined ? 'port' : 'devPort', o.devPort ?? fallback),
    ownerPort: port(n, o.ownerPort === undefined ? 'port' : 'ownerPort', o.ownerPort ?? fallback),
  };
  if (o.delaySec !== undefined) entry.delaySec = delayOf(n, o.delaySec);
  for (const f of FLAGS) if (o[f] !== undefined && flag(n, f, o[f])) entry[f] = true;
  if (entry.devOnly === true && entry.ownerOnly === true) fail(n, 'cannot be both devOnly and ownerOnly');
  return entry;
}

/** Checks one entry given as a URL (`FDO_MFG_RV` form). */
export function rvEntryFromUrl(n: number, text: string): RvEntry {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?\/?(?:\?([^#]*))?$/i.exec(text);
  if (m === null) fail(n, `"${text}" is not a URL such as http://rv.example.com:8040`);
  const [, scheme, host, portText, query] = m;
  const o: Record<string, unknown> = { host, protocol: scheme!.toLowerCase() };
  if (portText !== undefined) o.port = portText;
  for (const pair of (query ?? '').split('&').filter((p) => p !== '')) {
    const [k, v = ''] = pair.split('=').map(decodeURIComponent) as [string, string?];
    const key = QUERY_KEYS[k];
    if (key === undefined) fail(n, `unknown option "${k}" (expected ${Object.keys(QUERY_KEYS).join(', ')})`);
    o[key] = v;
  }
  return rvEntryFromObject(n, o);
}

/** Parses `FDO_MFG_RV`: URLs separated by whitespace or commas. */
export function rvEntriesFromText(text: string): RvEntry[] {
  return text
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map((url, i) => rvEntryFromUrl(i + 1, url));
}

/** The RendezvousInfo for the entries: one directive per entry (§3.3.10). */
export function rendezvousInfoOf(entries: readonly RvEntry[]): RendezvousInfo {
  if (entries.length === 0) throw new RvConfigError('no rendezvous entry: devices could not find their owner');
  return new RendezvousInfo(
    entries.map((e) => {
      const d: RendezvousInstruction[] = [
        isIP(e.host) === 0
          ? { variable: RVVariable.Dns, value: e.host }
          : { variable: RVVariable.IPAddress, value: ipToBytes(e.host) },
        { variable: RVVariable.DevPort, value: e.devPort },
        { variable: RVVariable.OwnerPort, value: e.ownerPort },
        { variable: RVVariable.Protocol, value: RV_PROTOCOLS[e.protocol] },
      ];
      if (e.delaySec !== undefined) d.push({ variable: RVVariable.Delaysec, value: e.delaySec });
      if (e.devOnly === true) d.push({ variable: RVVariable.DevOnly });
      if (e.ownerOnly === true) d.push({ variable: RVVariable.OwnerOnly });
      if (e.bypass === true) d.push({ variable: RVVariable.Bypass });
      return d;
    }),
  );
}
