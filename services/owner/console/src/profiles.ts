/**
 * Credential profiles (GET /profiles) and the devices using each; "no profiles configured" when the
 * server has none or does not offer the route.
 */
import { getJson, optionalJson } from './api.js';
import { fill, h } from './dom.js';
import type { View } from './main.js';
import { stateLabel } from './words.js';

interface Profile {
  name: string;
  kind: string;
  description?: string;
  selector?: { tags?: string[]; guids?: string[]; devmod?: Record<string, unknown> };
  devices: number;
}

function selectorText(s: Profile['selector']): string {
  if (s === undefined) return 'assigned devices only';
  const parts = [
    s.tags?.length ? `tags ${s.tags.join(', ')}` : '',
    s.guids?.length ? `${s.guids.length} GUID(s)` : '',
    s.devmod && Object.keys(s.devmod).length > 0 ? `devmod ${JSON.stringify(s.devmod)}` : '',
  ].filter((p) => p !== '');
  return parts.length === 0 ? 'assigned devices only' : parts.join('; ');
}

export const renderProfiles: View = (main) => {
  const body = h('div', {}, 'Loading…');
  fill(main, h('h1', {}, 'Credential profiles'), body);
  void (async () => {
    try {
      const list = await optionalJson<{ profiles: Profile[] }>('/profiles');
      if (list === null || list.profiles.length === 0) {
        fill(body, h('p', { class: 'notice', id: 'no-profiles' }, 'No profiles configured on this owner service.'));
        return;
      }
      fill(
        body,
        list.profiles.map((p) => {
          const devices = h('div');
          const show = h('button', { type: 'button', class: 'secondary' }, `Show the ${p.devices} device(s)`);
          show.addEventListener('click', () => {
            show.disabled = true;
            void getJson<{ devices: { guid: string; state: string }[] }>(
              `/profiles/${encodeURIComponent(p.name)}`,
            ).then(
              (r) =>
                fill(
                  devices,
                  r.devices.length === 0
                    ? h('p', {}, 'No device uses it.')
                    : h(
                        'ul',
                        {},
                        r.devices.map((d) =>
                          h(
                            'li',
                            {},
                            h('a', { href: `#/device/${d.guid}`, class: 'mono' }, d.guid),
                            ` — ${stateLabel(d.state)}`,
                          ),
                        ),
                      ),
                ),
              (err: unknown) => fill(devices, h('p', { class: 'error' }, (err as Error).message)),
            );
          });
          return h(
            'section',
            { class: 'panel' },
            h('h2', {}, `${p.name} (${p.kind})`),
            p.description ? h('p', {}, p.description) : null,
            h('p', { class: 'hint' }, `Applies to: ${selectorText(p.selector)}. Devices: ${p.devices}.`),
            show,
            devices,
          );
        }),
      );
    } catch (err) {
      fill(body, h('p', { class: 'error' }, `Could not load profiles: ${(err as Error).message}`));
    }
  })();
};
