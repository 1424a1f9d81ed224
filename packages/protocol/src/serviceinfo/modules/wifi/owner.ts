/**
 * fdo.wifi, owner side (see messages.ts for the draft it follows): sends one network-add per
 * configured network in the first round; the draft has no device answer for basic networks, so
 * the module is done once they are sent.
 */
import type { DeviceFacts, OwnerServiceInfoModule } from '../../module.js';
import { encodeWifiNetwork, Wifi, type WifiNetwork } from './messages.js';

export interface WifiOwnerOptions {
  networks: readonly WifiNetwork[] | ((device: DeviceFacts) => readonly WifiNetwork[]);
}

export type WifiOwnerState = { sent: string[] };

export function wifiOwner(options: WifiOwnerOptions): OwnerServiceInfoModule<WifiOwnerState> {
  const networks = (device: DeviceFacts) =>
    typeof options.networks === 'function' ? options.networks(device) : options.networks;
  return {
    name: Wifi.module,
    start: () => ({ sent: [] }),
    produce(state, { device }) {
      const list = networks(device);
      const messages = list.map((n) => ({ message: Wifi.networkAdd, value: encodeWifiNetwork(n) }));
      return { state: { sent: list.map((n) => n.networkId) }, messages, done: true };
    },
    receive: (state) => state,
  };
}
