/**
 * RVTO2Addr (FDO 1.1 §3.3.12): where a device finds its owner for TO2, carried in to1d.
 *
 * ```cddl
 * RVTO2Addr = [ RVIP: IPAddress / null, RVDNS: DNSAddress / null, RVPort: Port, RVProtocol: TransportProtocol ]
 * IPAddress = ip4 / ip6          ; bstr .size 4 / bstr .size 16
 * DNSAddress = tstr
 * Port = uint16
 * TransportProtocol /= ( ProtTCP: 1, ProtTLS: 2, ProtHTTP: 3, ProtCoAP: 4, ProtHTTPS: 5, ProtCoAPS: 6 )
 * ```
 * TransportProtocol is its OWN enum: not the RVProtocol values used inside RendezvousInfo (§3.3.13).
 * At least one of RVIP and RVDNS is present.
 */
import * as read from '../cbor/read.js';
import { MessageBodyError } from '../errors.js';

/** TransportProtocol (FDO 1.1 §3.3.12). */
export const TransportProtocol = { TCP: 1, TLS: 2, HTTP: 3, CoAP: 4, HTTPS: 5, CoAPS: 6 } as const;
export type TransportProtocol = (typeof TransportProtocol)[keyof typeof TransportProtocol];
const TRANSPORT_PROTOCOLS = Object.values(TransportProtocol);

const SCHEME: Record<TransportProtocol, string> = { 1: 'tcp', 2: 'tls', 3: 'http', 4: 'coap', 5: 'https', 6: 'coaps' };
const DEFAULT_PORT: Partial<Record<TransportProtocol, number>> = { 3: 80, 4: 5683, 5: 443, 6: 5684 };

export class RVTO2Addr {
  constructor(
    /** 4 (IPv4) or 16 (IPv6) bytes, or null. */
    readonly ip: Uint8Array | null,
    readonly dns: string | null,
    readonly port: number,
    readonly protocol: TransportProtocol,
  ) {
    if (ip === null && dns === null) throw new TypeError('RVTO2Addr needs an IP address or a DNS name');
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new TypeError(`RVTO2Addr: bad port ${port}`);
  }

  toCbor(): [Uint8Array | null, string | null, number, number] {
    return [this.ip, this.dns, this.port, this.protocol];
  }

  static fromCbor(v: unknown, path = 'RVTO2Addr'): RVTO2Addr {
    const [ip, dns, port, protocol] = read.array(v, path, 4);
    const rvIp = read.nullable(ip, (x) => read.bytes(x, `${path}.RVIP`));
    if (rvIp !== null && rvIp.length !== 4 && rvIp.length !== 16) {
      throw new MessageBodyError(`${path}.RVIP: an IP address is 4 or 16 bytes, got ${rvIp.length}`);
    }
    const rvDns = read.nullable(dns, (x) => read.text(x, `${path}.RVDNS`));
    if (rvIp === null && rvDns === null) throw new MessageBodyError(`${path}: RVIP and RVDNS are both null`);
    return new RVTO2Addr(
      rvIp,
      rvDns,
      read.uint(port, `${path}.RVPort`, 0xffff),
      read.oneOf(protocol, `${path}.RVProtocol`, TRANSPORT_PROTOCOLS),
    );
  }

  /**
   * Builds an address from a URL such as `https://owner.example:8443` or `http://[2001:db8::1]`.
   * An IP-literal host fills RVIP, any other host RVDNS; the port defaults from the scheme.
   */
  static fromUrl(url: string | URL): RVTO2Addr {
    const u = typeof url === 'string' ? new URL(url) : url;
    const scheme = u.protocol.replace(/:$/, '').toLowerCase();
    const entry = Object.entries(SCHEME).find(([, s]) => s === scheme);
    if (entry === undefined) throw new TypeError(`RVTO2Addr.fromUrl: unsupported scheme "${scheme}"`);
    const protocol = Number(entry[0]) as TransportProtocol;
    const port = u.port === '' ? DEFAULT_PORT[protocol] : Number(u.port);
    if (port === undefined) throw new TypeError(`RVTO2Addr.fromUrl: ${scheme} URLs need an explicit port`);
    const ip = parseIp(u.hostname);
    return new RVTO2Addr(ip, ip === null ? u.hostname : null, port, protocol);
  }

  /** The host to connect to: the DNS name when present (as go-fdo does), else the IP address. */
  get host(): string {
    return this.dns ?? formatIp(this.ip!);
  }

  /** A URL for this address, e.g. `https://owner.example:8443`. */
  toUrl(): string {
    const host =
      this.dns ?? (this.ip!.length === 16 && !isV4Mapped(this.ip!) ? `[${formatIp(this.ip!)}]` : formatIp(this.ip!));
    return `${SCHEME[this.protocol]}://${host}:${this.port}`;
  }
}

function isV4Mapped(b: Uint8Array): boolean {
  return b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

/** Text form of a 4- or 16-byte address (IPv4-mapped IPv6, as go-fdo's net.IP sends, prints as IPv4). */
function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (isV4Mapped(b)) return Array.from(b.subarray(12)).join('.');
  if (b.length !== 16) throw new TypeError(`not an IP address: ${b.length} bytes`);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // RFC 5952 §4.2: compress the longest run (≥ 2) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses an IPv4 or IPv6 literal (brackets allowed) to 4 or 16 bytes; returns null for anything else. */
function parseIp(text: string): Uint8Array | null {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseV4(s);
  if (v4 !== null) return v4;
  if (!s.includes(':')) return null;
  return parseV6(s);
}

function parseV4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return new Uint8Array(parts.map(Number));
}

function parseV6(s: string): Uint8Array | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
