/**
 * fdo.wifi, device side (the community draft described in the protocol package's
 * serviceinfo/modules/wifi/messages.ts): each network-add goes to a handler the integrator
 * provides; the default writes one wpa_supplicant `network={…}` block per network to
 * `<dir>/<network_id>.conf`, mode 0600 (it holds the passphrase).
 */
import { join } from 'node:path';
import { decodeWifiNetwork, Wifi, type DeviceServiceInfoModule, type WifiNetwork } from '@fdo/protocol/serviceinfo';
import { resolveInside, writeFileAtomic } from './files.js';

export interface WifiDeviceOptions {
  /** Where the default handler writes. */
  dir?: string;
  /** Applies one network; replaces the default file writer. */
  apply?(network: WifiNetwork): void | Promise<void>;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** The wpa_supplicant.conf block for a network (key_mgmt by auth type; EAP left to the integrator). */
export function wpaSupplicantBlock(n: WifiNetwork): string {
  const lines = [`\tssid=${quote(n.ssid)}`];
  if (n.auth === 'open') lines.push('\tkey_mgmt=NONE');
  if (n.auth === 'wpa2-psk') lines.push('\tkey_mgmt=WPA-PSK', `\tpsk=${quote(n.password!)}`);
  if (n.auth === 'wpa3-psk') lines.push('\tkey_mgmt=SAE', `\tsae_password=${quote(n.password!)}`, '\tieee80211w=2');
  if (n.auth === 'wpa3-enterprise')
    lines.push('\tkey_mgmt=WPA-EAP-SUITE-B-192', `\teap=${n.eapMethod!.slice(4).toUpperCase()}`);
  return `# fdo.wifi ${n.networkId} (${n.trustLevel})\nnetwork={\n${lines.join('\n')}\n}\n`;
}

export function wifiDevice(options: WifiDeviceOptions): DeviceServiceInfoModule {
  const applied: string[] = [];
  const apply =
    options.apply ??
    (async (n: WifiNetwork) => {
      if (options.dir === undefined) throw new Error('fdo.wifi: no directory and no handler configured');
      if (/[\\/\0]/.test(n.networkId)) throw new Error(`fdo.wifi: network id ${n.networkId} is not a file name`);
      const path = resolveInside(options.dir, `${n.networkId}.conf`) ?? join(options.dir, 'invalid');
      await writeFileAtomic(path, wpaSupplicantBlock(n), 0o600);
    });
  return {
    name: Wifi.module,
    async receive(message, value) {
      if (message !== Wifi.networkAdd) return;
      const network = decodeWifiNetwork(value);
      await apply(network);
      applied.push(network.networkId);
    },
    result: () => applied,
  };
}
