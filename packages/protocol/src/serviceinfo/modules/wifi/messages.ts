/**
 * fdo.wifi: Wi-Fi networks for the device. The FIDO fdo-sim repository has no fdo.wifi page; this
 * follows the community draft "fdo.wifi FSIM Specification" (network-add with an integer-keyed
 * CBOR map, its "Schema Definition" table), for basic networks only: the draft's certificate flow
 * for WPA3-Enterprise (csr-begin/cert-begin chunking) is not implemented; use fdo.csr for
 * certificates. Enterprise networks are carried (EAP method, CA certificates) but not enrolled.
 *
 * ```cddl
 * fdo.wifi:network-add = {
 *   0: tstr,            ; version, "1.0"
 *   1: tstr,            ; network_id
 *   2: tstr,            ; ssid
 *   3: uint,            ; auth_type: 0 open, 1 wpa2-psk, 2 wpa3-psk (SAE), 3 wpa3-enterprise
 *   ? 4: bstr,          ; password (psk types)
 *   ? 5: uint,          ; eap_method: 0 eap-tls, 1 eap-peap, 2 eap-ttls
 *   ? 6: [+ bstr],      ; ca_certificates (DER, trust anchor first)
 *   7: uint,            ; trust_level: 0 onboard-only, 1 full-access
 * }
 * fdo.wifi:error = uint ; o → d, 1000-1004 (not sent by this owner)
 * ```
 */
import * as read from '../../../cbor/read.js';
import { MessageBodyError } from '../../../errors.js';

export const Wifi = { module: 'fdo.wifi', networkAdd: 'network-add', error: 'error', version: '1.0' } as const;

export const WIFI_AUTH = ['open', 'wpa2-psk', 'wpa3-psk', 'wpa3-enterprise'] as const;
export const WIFI_EAP = ['eap-tls', 'eap-peap', 'eap-ttls'] as const;
export const WIFI_TRUST = ['onboard-only', 'full-access'] as const;

export interface WifiNetwork {
  networkId: string;
  ssid: string;
  auth: (typeof WIFI_AUTH)[number];
  /** The passphrase (psk types). */
  password?: string;
  eapMethod?: (typeof WIFI_EAP)[number];
  caCertificates?: Uint8Array[];
  trustLevel: (typeof WIFI_TRUST)[number];
}

/** The draft's conditional requirements: a password exactly for the psk types, EAP for enterprise. */
function checkNetwork(n: WifiNetwork): WifiNetwork {
  const psk = n.auth === 'wpa2-psk' || n.auth === 'wpa3-psk';
  if (psk !== (n.password !== undefined))
    throw new MessageBodyError(`fdo.wifi ${n.networkId}: password is for psk networks only, and required there`);
  if ((n.auth === 'wpa3-enterprise') !== (n.eapMethod !== undefined)) {
    throw new MessageBodyError(`fdo.wifi ${n.networkId}: eap_method is for wpa3-enterprise only, and required there`);
  }
  return n;
}

export function encodeWifiNetwork(network: WifiNetwork): Map<number, unknown> {
  const n = checkNetwork(network);
  const m = new Map<number, unknown>([
    [0, Wifi.version],
    [1, n.networkId],
    [2, n.ssid],
    [3, WIFI_AUTH.indexOf(n.auth)],
  ]);
  if (n.password !== undefined) m.set(4, Buffer.from(n.password, 'utf8'));
  if (n.eapMethod !== undefined) m.set(5, WIFI_EAP.indexOf(n.eapMethod));
  if (n.caCertificates !== undefined) m.set(6, n.caCertificates);
  m.set(7, WIFI_TRUST.indexOf(n.trustLevel));
  return m;
}

function enumOf<T>(table: readonly T[], v: unknown, path: string): T {
  const i = read.uint(v, path);
  if (i >= table.length) throw new MessageBodyError(`${path}: unknown value ${i}`);
  return table[i]!;
}

export function decodeWifiNetwork(value: unknown): WifiNetwork {
  const m = read.map(value, 'fdo.wifi:network-add');
  const p = (k: number) => `fdo.wifi:network-add[${k}]`;
  if (m.get(0) !== Wifi.version)
    throw new MessageBodyError(`fdo.wifi: version ${String(m.get(0))} is not ${Wifi.version}`);
  const n: WifiNetwork = {
    networkId: read.text(m.get(1), p(1)),
    ssid: read.text(m.get(2), p(2)),
    auth: enumOf(WIFI_AUTH, m.get(3), p(3)),
    trustLevel: enumOf(WIFI_TRUST, m.get(7), p(7)),
  };
  if (m.has(4)) n.password = Buffer.from(read.bytes(m.get(4), p(4))).toString('utf8');
  if (m.has(5)) n.eapMethod = enumOf(WIFI_EAP, m.get(5), p(5));
  if (m.has(6)) n.caCertificates = read.array(m.get(6), p(6)).map((c, i) => read.bytes(c, `${p(6)}[${i}]`));
  return checkNetwork(n);
}
