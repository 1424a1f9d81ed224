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
import { formatIp, isV4Mapped, parseIp } from './ip.js';
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
