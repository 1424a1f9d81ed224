/**
 * Credential profiles (GET /profiles, docs/credential-profiles.md): each with its kind, what it
 * connects to, its selector, and the devices assigned to it or onboarded with it (GET
 * /profiles/:name), each a link to its device page; "no profiles configured" when the owner has none.
 */
import { getJson } from './api.js';
import { facts, fill, h } from './dom.js';
import type { View } from './main.js';
import { stateLabel } from './words.js';

/** An entry of GET /profiles. */
export interface ProfileSummary {
  name: string;
  kind: string;
  description?: string;
  selector: { tags?: string[]; guids?: string[]; devmod?: Record<string, string> };
  /** Devices assigned to it or onboarded with it. */
  devices: number;
}

/** GET /profiles/:name: the profile as configured (file names, not contents) and its first devices. */
interface ProfileDetail extends Omit<ProfileSummary, 'devices'> {
  brokerUrl?: string;
  endpoint?: string;
  port?: number;
  hubHostName?: string;
  idScope?: string;
  globalEndpoint?: string;
  caFile?: string;
  deviceCount: number;
  devices: { guid: string; state: string }[];
}

export async function listProfiles(): Promise<ProfileSummary[]> {
  return (await getJson<{ profiles: ProfileSummary[] }>('/profiles')).profiles;
}

/** The selector in words (docs/credential-profiles.md: every criterion given must hold; `{}` matches all). */
export function selectorText(s: ProfileSummary['selector']): string {
  const parts = [
    s.tags?.length ? `tagged ${s.tags.join(' or ')}` : '',
    s.guids?.length ? `with one of ${s.guids.length} listed GUID(s)` : '',
    s.devmod && Object.keys(s.devmod).length > 0
      ? `devmod ${Object.entries(s.devmod)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      : '',
  ].filter((p) => p !== '');
  return parts.length === 0 ? 'every device' : `devices ${parts.join(' and ')}`;
}

/** Where a device of this profile connects. */
function connectsTo(p: ProfileDetail): string | undefined {
  if (p.brokerUrl !== undefined) return p.brokerUrl;
  if (p.endpoint !== undefined) return `${p.endpoint}:${p.port ?? 8883}`;
  if (p.hubHostName !== undefined) return p.hubHostName;
  if (p.idScope !== undefined) return `DPS ${p.globalEndpoint ?? ''}, ID scope ${p.idScope}`;
  return undefined;
}

function drawDevices(p: ProfileDetail): HTMLElement {
  if (p.devices.length === 0) return h('p', { class: 'hint' }, 'No device is assigned to it or onboarded with it yet.');
  return h(
    'div',
    {},
    h(
      'ul',
      { class: 'profile-devices', 'aria-label': `Devices of ${p.name}` },
      p.devices.map((d) =>
        h(
          'li',
          { 'data-guid': d.guid },
          h('a', { href: `#/device/${d.guid}`, class: 'mono' }, d.guid),
          ` — ${stateLabel(d.state)}`,
        ),
      ),
    ),
    p.deviceCount > p.devices.length
      ? h('p', { class: 'hint' }, `The first ${p.devices.length} of ${p.deviceCount} are listed.`)
      : null,
  );
}

export const renderProfiles: View = (main) => {
  const body = h('div', {}, 'Loading…');
  fill(
    main,
    h('h1', {}, 'Credential profiles'),
    h(
      'p',
      { class: 'hint' },
      'A device gets the profile assigned to it on its device page, else the first one whose selector matches; ' +
        'in TO2 it receives a certificate from the owner’s issuing CA and the settings to connect.',
    ),
    body,
  );
  void (async () => {
    try {
      const list = await listProfiles();
      if (list.length === 0) {
        fill(
          body,
          h(
            'p',
            { class: 'notice', id: 'no-profiles' },
            'No profiles configured on this owner service: add them under "profiles" in its configuration file ' +
              '(FDO_OWNER_CONFIG) or in FDO_OWNER_PROFILES.',
          ),
        );
        return;
      }
      const details = await Promise.all(
        list.map((p) => getJson<ProfileDetail>(`/profiles/${encodeURIComponent(p.name)}`)),
      );
      fill(
        body,
        details.map((p) =>
          h(
            'section',
            { class: 'panel', 'data-profile': p.name, 'aria-labelledby': `profile-${p.name}` },
            h('h2', { id: `profile-${p.name}` }, p.name),
            p.description ? h('p', {}, p.description) : null,
            facts([
              ['Kind', p.kind],
              ['Connects to', connectsTo(p)],
              ['Server trust anchors', p.caFile ?? 'the issuing CA'],
              ['Applies to', selectorText(p.selector)],
              ['Devices (assigned or onboarded)', h('span', { class: 'device-count' }, String(p.deviceCount))],
            ]),
            drawDevices(p),
          ),
        ),
      );
    } catch (err) {
      fill(body, h('p', { class: 'error' }, `Could not load profiles: ${(err as Error).message}`));
    }
  })();
};
