/**
 * RendezvousInfo (FDO 1.1 §3.3.10): where a device (TO1) and an owner (TO0) find the rendezvous server.
 *
 * ```cddl
 * RendezvousInfo = [ + RendezvousDirective ]
 * RendezvousDirective = [ + RendezvousInstr ]
 * RendezvousInstr = [ RVVariable, RVValue: bstr .cbor any ]  ; flag variables (DevOnly, OwnerOnly, Bypass) omit RVValue
 * ```
 * Each value is CBOR wrapped in a bstr; the exact received bstr contents are kept in `raw` so a
 * header re-encodes byte for byte.
 */
import { isIP } from 'node:net';
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { formatIp, ipToBytes } from './ip.js';
import { MessageBodyError } from '../errors.js';
import { Hash } from './hash.js';

/** RVVariable (§3.3.10). ExtRV (15) is go-fdo's external-RV extension. */
export const RVVariable = {
  DevOnly: 0,
  OwnerOnly: 1,
  IPAddress: 2,
  DevPort: 3,
  OwnerPort: 4,
  Dns: 5,
  SvCertHash: 6,
  ClCertHash: 7,
  UserInput: 8,
  WifiSsid: 9,
  WifiPw: 10,
  Medium: 11,
  Protocol: 12,
  Delaysec: 13,
  Bypass: 14,
  ExtRV: 15,
} as const;
export type RVVariable = (typeof RVVariable)[keyof typeof RVVariable];

/** RVProtocolValue (§3.3.10). Not the RVTO2Addr TransportProtocol enum (§3.3.12). */
export const RVProtocol = { Rest: 0, Http: 1, Https: 2, Tcp: 3, Tls: 4, CoapTcp: 5, Coap: 6 } as const;
export type RVProtocol = (typeof RVProtocol)[keyof typeof RVProtocol];

/** RVMediumValue (§3.3.10): 0–9 eth interface, 10–19 wifi interface, 20 eth-all, 21 wifi-all. */
export const RVMedium = { EthAll: 20, WifiAll: 21 } as const;

/** One `[RVVariable, bstr .cbor value]` pair. `raw` is the exact bstr contents (what is encoded). */
export interface RendezvousInstruction {
  variable: number;
  /** The decoded value; undefined for a flag. */
  value?: unknown;
  /** The exact bstr contents; when absent, `value` is encoded. */
  raw?: Uint8Array;
}

export interface RendezvousEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  delaySec?: number;
  /**
   * RVBypass (§3.7.1): this directive names the owner itself. A device skips TO1 and runs TO2 at this
   * address (with its device port); present only when set.
   */
  bypass?: true;
}

const VAR_NAMES = Object.fromEntries(Object.entries(RVVariable).map(([k, v]) => [v, k])) as Record<number, string>;
const FLAGS: ReadonlySet<number> = new Set([RVVariable.DevOnly, RVVariable.OwnerOnly, RVVariable.Bypass]);

/** Checks the decoded value of a known variable against its type (§3.3.10 table). */
function checkValue(variable: number, value: unknown, path: string): void {
  switch (variable) {
    case RVVariable.IPAddress:
      if (!(value instanceof Uint8Array) || (value.length !== 4 && value.length !== 16)) {
        throw read.bodyError(path, 'an IP address (bstr of 4 or 16)', value);
      }
      break;
    case RVVariable.DevPort:
    case RVVariable.OwnerPort:
      read.uint(value, path, 0xffff);
      break;
    case RVVariable.Dns:
    case RVVariable.WifiSsid:
    case RVVariable.WifiPw:
      read.text(value, path);
      break;
    case RVVariable.SvCertHash:
    case RVVariable.ClCertHash:
      Hash.fromCbor(value, path);
      break;
    case RVVariable.UserInput:
      read.bool(value, path);
      break;
    case RVVariable.Medium:
    case RVVariable.Protocol:
      read.uint(value, path, 0xff);
      break;
    case RVVariable.Delaysec:
      read.uint(value, path, 0xffffffff);
      break;
    default:
      break;
  }
}

export class RendezvousInfo {
  constructor(readonly directives: RendezvousInstruction[][]) {}

  /** `[+ [+ [var, bstr?]]]`; values are the kept raw bytes when present. */
  toCbor(): unknown[] {
    return this.directives.map((d) =>
      d.map((i) => {
        if (i.raw !== undefined) return [i.variable, i.raw];
        if (i.value === undefined) return [i.variable];
        return [i.variable, encode(i.value)];
      }),
    );
  }

  static fromCbor(v: unknown, path = 'RendezvousInfo'): RendezvousInfo {
    // Lenient on empty lists (CDDL says `+`): some tools write an empty RendezvousInfo.
    const directives = read.array(v, path).map((d, i) =>
      read.array(d, `${path}[${i}]`).map((instr, j) => {
        const p = `${path}[${i}][${j}]`;
        const [variable, raw] = read.arrayOf(instr, p, 1, 2);
        const variableNum = read.uint(variable, `${p}.RVVariable`, 0xff);
        if (raw === undefined) {
          if (!FLAGS.has(variableNum)) {
            throw new MessageBodyError(`${p}: ${VAR_NAMES[variableNum] ?? variableNum} needs a value`);
          }
          return { variable: variableNum };
        }
        const bytes = read.bytes(raw, `${p}.RVValue`);
        const value = decode(bytes);
        checkValue(variableNum, value, `${p}.${VAR_NAMES[variableNum] ?? 'RVValue'}`);
        return { variable: variableNum, value, raw: bytes };
      }),
    );
    return new RendezvousInfo(directives);
  }

  /**
   * One directive per URL: `[Dns | IPAddress, DevPort, OwnerPort, Protocol]`. http and https only;
   * the port defaults to 80 / 443.
   */
  static fromUrls(...urls: string[]): RendezvousInfo {
    return new RendezvousInfo(
      urls.map((text) => {
        const url = new URL(text);
        const scheme = url.protocol.replace(/:$/, '');
        if (scheme !== 'http' && scheme !== 'https') throw new TypeError(`rendezvous URL must be http(s): ${text}`);
        const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
        const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
        const address: RendezvousInstruction =
          isIP(host) === 0
            ? { variable: RVVariable.Dns, value: host }
            : { variable: RVVariable.IPAddress, value: ipToBytes(host) };
        return [
          address,
          { variable: RVVariable.DevPort, value: port },
          { variable: RVVariable.OwnerPort, value: port },
          { variable: RVVariable.Protocol, value: scheme === 'https' ? RVProtocol.Https : RVProtocol.Http },
        ];
      }),
    );
  }

  /** Human/URL form of each directive, for logs and the CLI. */
  describe(): string[] {
    return this.directives.map((d) => {
      const parts: string[] = [];
      const get = (v: number): unknown => d.find((i) => i.variable === v)?.value;
      const proto = get(RVVariable.Protocol);
      const scheme =
        Object.entries(RVProtocol)
          .find(([, n]) => n === proto)?.[0]
          .toLowerCase() ?? 'http';
      const hosts = [get(RVVariable.Dns), get(RVVariable.IPAddress)].filter((h) => h !== undefined);
      const devPort = get(RVVariable.DevPort);
      const ownerPort = get(RVVariable.OwnerPort);
      for (const h of hosts) {
        const host = h instanceof Uint8Array ? formatIp(h) : String(h);
        const hostPart = host.includes(':') ? `[${host}]` : host;
        parts.push(`${scheme}://${hostPart}${devPort === undefined ? '' : `:${String(devPort)}`}`);
      }
      if (ownerPort !== undefined && ownerPort !== devPort) parts.push(`owner port ${String(ownerPort)}`);
      for (const i of d) {
        if ([RVVariable.Dns, RVVariable.IPAddress, RVVariable.DevPort, RVVariable.OwnerPort].includes(i.variable as 2))
          continue;
        if (i.variable === RVVariable.Protocol && hosts.length > 0) continue;
        const name = VAR_NAMES[i.variable] ?? `var${i.variable}`;
        parts.push(i.value === undefined ? name : `${name}=${show(i.value)}`);
      }
      return parts.join(' ');
    });
  }

  /** Directives a device uses in TO1 (all but OwnerOnly ones), resolved to endpoints. */
  deviceEndpoints(): RendezvousEndpoint[] {
    return this.#endpoints(true);
  }

  /** Directives an owner uses in TO0 (all but DevOnly ones), resolved to endpoints. */
  ownerEndpoints(): RendezvousEndpoint[] {
    return this.#endpoints(false);
  }

  #endpoints(device: boolean): RendezvousEndpoint[] {
    const out: RendezvousEndpoint[] = [];
    for (const d of this.directives) {
      const get = (v: number): unknown => d.find((i) => i.variable === v)?.value;
      const has = (v: number): boolean => d.some((i) => i.variable === v);
      if (has(device ? RVVariable.OwnerOnly : RVVariable.DevOnly)) continue;
      const proto = (get(RVVariable.Protocol) as number | undefined) ?? RVProtocol.Http;
      // Only HTTP transports are supported (§4.3); REST is HTTP, the others are skipped.
      if (proto !== RVProtocol.Http && proto !== RVProtocol.Https && proto !== RVProtocol.Rest) continue;
      const protocol = proto === RVProtocol.Https ? 'https' : 'http';
      const port =
        (get(device ? RVVariable.DevPort : RVVariable.OwnerPort) as number | undefined) ??
        (protocol === 'https' ? 443 : 80);
      const delay = get(RVVariable.Delaysec) as number | undefined;
      const extra = {
        ...(delay === undefined ? {} : { delaySec: delay }),
        ...(has(RVVariable.Bypass) ? { bypass: true as const } : {}),
      };
      const dns = get(RVVariable.Dns) as string | undefined;
      const ip = get(RVVariable.IPAddress) as Uint8Array | undefined;
      for (const host of [dns, ip === undefined ? undefined : formatIp(ip)]) {
        if (host === undefined) continue;
        out.push({ host, port, protocol, ...extra });
      }
    }
    return out;
  }
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && v[1] instanceof Uint8Array) {
    return `${v[0]}:${Buffer.from(v[1]).toString('hex')}`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
