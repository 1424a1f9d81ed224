/**
 * fdo-platform.profile, owner side: opens with the device's profile name and kind, then is done.
 * `profileOf` decides per device (null: the module does not run); list this module before the
 * fdo.csr and fdo.download modules that deliver the profile, so its name reaches the device first.
 */
import type { DeviceFacts, OwnerServiceInfoModule } from '../../module.js';
import { Profile, PROFILE_NAME } from './messages.js';

export interface ProfileChoice {
  name: string;
  kind: string;
}

export type ProfileOwnerState = { name: string; kind: string };

export function profileOwner(options: {
  profileOf(device: DeviceFacts): ProfileChoice | null | Promise<ProfileChoice | null>;
}): OwnerServiceInfoModule<ProfileOwnerState> {
  const choose = async (device: DeviceFacts) => {
    const choice = await options.profileOf(device);
    if (choice !== null && !PROFILE_NAME.test(choice.name)) {
      throw new Error(`profile name "${choice.name}" is not one path segment (${PROFILE_NAME.source})`);
    }
    return choice;
  };
  return {
    name: Profile.module,
    appliesTo: async (device) => (await choose(device)) !== null,
    async start(device) {
      const choice = await choose(device);
      if (choice === null) throw new Error(`no profile for ${device.guid}`);
      return { name: choice.name, kind: choice.kind };
    },
    open: (state) => [
      { message: Profile.name, value: state.name },
      { message: Profile.kind, value: state.kind },
    ],
    produce: (state) => ({ state, messages: [], done: true }),
    receive: (state) => state,
  };
}
