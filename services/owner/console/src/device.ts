/**
 * One device: its state in words, what a device powered on now would meet at TO1, its voucher
 * (manufacturer, entries, owner key), devmod facts, credential profile with the ServiceInfo modules of
 * its last TO2 and the certificates the owner's issuing CA signed for it, its rendezvous registrations and its timeline with errors explained; and the actions re-register,
 * assign a profile, set tags and extend for resale. It refreshes every 2 s like the fleet.
 */
import { ApiFailure, call, getJson, optionalJson, sendJson } from './api.js';
import { announce, download, facts, fill, h, table, when } from './dom.js';
import { POLL_MS } from './fleet.js';
import type { View, ViewContext } from './main.js';
import { listProfiles, type ProfileSummary } from './profiles.js';
import {
  certificateStatus,
  explainEvent,
  moduleResultLabel,
  stateDetail,
  stateLabel,
  stepLabel,
  to1Problem,
  type Device,
} from './words.js';

interface Voucher {
  guid: string;
  deviceInfo: string;
  entries: number;
  ownerKeySha256: string;
  manufacturerKeySha256?: string;
  credentialReuse?: boolean;
  transferredTo?: string | null;
}

interface OwnerKey {
  id: string;
  type: string;
  sha256: string;
}

/** The device's profile in words; `profiles` null when the list could not be loaded. */
function profileOf(d: Device, profiles: ProfileSummary[] | null): HTMLElement {
  const attrs = { id: 'device-profile', 'data-profile': d.profile ?? '' };
  if (d.profile == null) {
    return h(
      'span',
      attrs,
      profiles !== null && profiles.length === 0
        ? 'none: no credential profiles are configured on this owner'
        : 'none: no profile is assigned to it and no selector matches it',
    );
  }
  const kind = profiles?.find((p) => p.name === d.profile)?.kind;
  return h('span', attrs, h('a', { href: '#/profiles' }, d.profile), kind === undefined ? '' : ` (${kind})`);
}

/** The credential profile, the ServiceInfo modules of the last TO2, the certificates issued to it. */
function drawCredentials(d: Device, profiles: ProfileSummary[] | null): HTMLElement {
  const modules = d.serviceInfo ?? [];
  const certificates = d.certificates ?? [];
  return h(
    'section',
    { 'aria-labelledby': 'profile-title' },
    h('h2', { id: 'profile-title' }, 'Credential profile and modules'),
    facts([
      ['Profile', profileOf(d, profiles)],
      ['Tags', d.tags.length === 0 ? 'none' : d.tags.map((t) => h('span', { class: 'tag' }, t))],
    ]),
    h(
      'p',
      { class: 'hint' },
      'The profile assigned to it, else the one its last onboarding delivered, else the first whose selector matches; ' +
        'a change applies at its next TO2.',
    ),
    h('h3', { id: 'modules-title' }, 'ServiceInfo modules of the last onboarding'),
    modules.length === 0
      ? h('p', { class: 'hint', id: 'no-modules' }, 'None yet: the modules run in TO2.')
      : table(
          { id: 'modules', 'aria-labelledby': 'modules-title' },
          ['Module', 'Result', 'Detail'],
          modules.map((m) =>
            h(
              'tr',
              { 'data-module': m.module, 'data-result': m.result },
              h('td', { class: 'mono' }, m.module),
              h('td', { class: m.result === 'ok' ? 'good' : 'bad' }, moduleResultLabel(m.result)),
              h('td', {}, m.detail ?? '—'),
            ),
          ),
        ),
    h('h3', { id: 'certificates-title' }, 'Certificates issued to it'),
    certificates.length === 0
      ? h('p', { class: 'hint', id: 'no-certificates' }, 'None: the issuing CA signs one when fdo.csr runs in TO2.')
      : table(
          { id: 'certificates', 'aria-labelledby': 'certificates-title' },
          ['Serial', 'Profile', 'Subject', 'Issued', 'Not after', 'Status'],
          certificates.map((c) => {
            const status = certificateStatus(c);
            return h(
              'tr',
              { 'data-serial': c.serial, 'data-revoked': String(c.revokedAt !== null) },
              h('td', { class: 'mono' }, c.serial),
              h('td', {}, c.profile ?? '—'),
              h('td', { class: 'mono' }, c.subject),
              h('td', {}, when(c.issuedAt)),
              h('td', { class: 'not-after' }, when(c.notAfter)),
              h('td', { class: `status ${status === 'valid' ? 'good' : 'bad'}` }, status),
            );
          }),
        ),
  );
}

export const renderDevice: View = (main, ctx, guid) => {
  const header = h('div');
  const body = h('div');
  const actions = h('section', { 'aria-labelledby': 'actions-title' });
  const message = h('p', { role: 'status', class: 'notice', hidden: true });
  fill(main, h('p', {}, h('a', { href: '#/fleet' }, '← Fleet')), header, message, body, actions);
  let keys: OwnerKey[] = [];
  let profiles: ProfileSummary[] | null = null;
  let lastJson = '';
  let actionsDrawn = false;
  /** The device's GUID now: TO2 gives it a new one (the route's GUID keeps finding it as "previous"). */
  let currentGuid = guid;

  const say = (text: string, isError = false) => {
    message.hidden = false;
    message.className = isError ? 'error' : 'notice';
    message.textContent = text;
    announce(text);
  };

  async function load(): Promise<void> {
    let device: Device;
    try {
      device = await getJson<Device>(`/devices/${encodeURIComponent(guid)}`);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) return;
      fill(header, h('h1', {}, 'Device'), h('p', { class: 'error', role: 'alert' }, (err as Error).message));
      return;
    }
    currentGuid = device.guid;
    const voucher = await optionalJson<Voucher>(`/vouchers/${encodeURIComponent(device.guid)}`);
    const json = JSON.stringify([device, voucher]);
    if (json === lastJson) return;
    lastJson = json;
    draw(device, voucher);
    if (!actionsDrawn) {
      actionsDrawn = true;
      drawActions(device, ctx);
    }
  }

  function draw(d: Device, v: Voucher | null): void {
    const ownerKey = keys.find((k) => k.sha256 === v?.ownerKeySha256);
    const problem = to1Problem(d);
    fill(
      header,
      h('h1', {}, 'Device ', h('span', { class: 'mono' }, d.guid)),
      h(
        'p',
        {},
        h('span', { class: `state state-${d.state}`, id: 'device-state' }, stateLabel(d.state)),
        ' ',
        stateDetail(d),
      ),
      problem === null ? null : h('p', { class: 'error', id: 'to1-problem' }, problem),
    );
    fill(
      body,
      h(
        'div',
        { class: 'grid2' },
        h(
          'section',
          { 'aria-labelledby': 'voucher-title' },
          h('h2', { id: 'voucher-title' }, 'Voucher'),
          v === null
            ? h('p', {}, 'The voucher is no longer held here.')
            : facts([
                ['Device info', v.deviceInfo],
                ['Manufacturer key (SHA-256)', h('span', { class: 'mono' }, v.manufacturerKeySha256 ?? '—')],
                ['Entries', String(v.entries)],
                [
                  'Owner key',
                  h(
                    'span',
                    { class: 'mono' },
                    ownerKey === undefined ? v.ownerKeySha256 : `${ownerKey.id} (${ownerKey.type}) ${v.ownerKeySha256}`,
                  ),
                ],
                ['Credential reuse', v.credentialReuse ? 'on: the device keeps its GUID and TO0 continues' : 'off'],
                ['Sold to key (SHA-256)', v.transferredTo ? h('span', { class: 'mono' }, v.transferredTo) : null],
                ['Previous GUID', d.previousGuid ? h('span', { class: 'mono' }, d.previousGuid) : null],
                ['Imported', when(d.importedAt)],
              ]),
        ),
        h(
          'section',
          { 'aria-labelledby': 'facts-title' },
          h('h2', { id: 'facts-title' }, 'Device facts (devmod)'),
          d.facts === undefined || Object.keys(d.facts).length === 0
            ? h('p', { class: 'hint' }, 'Reported by the device in TO2; none yet.')
            : facts([
                ['Operating system', d.facts.os],
                ['Architecture', d.facts.arch],
                ['Version', d.facts.version],
                ['Serial number', d.facts.serial],
              ]),
        ),
      ),
      drawCredentials(d, profiles),
      h('h2', { id: 'rv-title' }, 'Rendezvous registrations (TO0)'),
      (d.rendezvous ?? []).length === 0
        ? h('p', { class: 'hint' }, 'None.')
        : table(
            { 'aria-labelledby': 'rv-title' },
            ['Server', 'State', 'Registered until', 'Failures', 'Last error'],
            (d.rendezvous ?? []).map((r) =>
              h(
                'tr',
                {},
                h('td', { class: 'mono' }, r.url),
                h('td', {}, r.state),
                h('td', {}, when(r.registeredUntil)),
                h('td', {}, r.failures),
                h('td', {}, r.lastError ?? '—'),
              ),
            ),
          ),
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      h(
        'ol',
        { class: 'timeline', id: 'timeline', 'aria-labelledby': 'timeline-title' },
        (d.events ?? []).map((e) => {
          const explained = explainEvent(e);
          return h(
            'li',
            { class: e.outcome, 'data-step': e.step },
            h('time', { datetime: e.at }, when(e.at)),
            ' · ',
            h('span', { class: 'outcome' }, e.outcome === 'ok' ? '✓ ' : e.outcome === 'error' ? '✗ ' : '• '),
            h('strong', {}, stepLabel(e.step)),
            e.message ? `: ${e.message}` : '',
            explained === null ? null : h('span', { class: 'explain' }, explained),
          );
        }),
      ),
    );
  }

  function drawActions(d: Device, { canWrite }: ViewContext): void {
    const guidNow = () => currentGuid;
    const busy = async (button: HTMLButtonElement, work: () => Promise<string>) => {
      button.disabled = true;
      try {
        say(await work());
        lastJson = '';
        await load();
      } catch (err) {
        say((err as Error).message, true);
      } finally {
        button.disabled = false;
      }
    };
    const disabled = !canWrite;
    const register = h('button', { type: 'button', id: 'action-register', disabled }, 'Re-register with rendezvous');
    register.addEventListener('click', () =>
      busy(register, async () => {
        const r = await sendJson<{ rendezvous: number }>('POST', `/vouchers/${guidNow()}/register`);
        return `TO0 runs now at ${r.rendezvous} rendezvous server(s); the timeline shows the result.`;
      }),
    );

    const tagsInput = h('input', { id: 'tags', value: d.tags.join(', '), disabled, 'aria-describedby': 'tags-hint' });
    const saveTags = h('button', { type: 'submit', disabled }, 'Save tags');
    const tagsForm = h(
      'form',
      {
        class: 'row',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const tags = tagsInput.value
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== '');
          void busy(saveTags, async () => {
            await sendJson('PUT', `/vouchers/${guidNow()}/tags`, { tags });
            return tags.length === 0 ? 'Tags removed.' : `Tags set: ${tags.join(', ')}.`;
          });
        },
      },
      h('label', { for: 'tags' }, 'Tags', tagsInput),
      saveTags,
      h('span', { id: 'tags-hint', class: 'hint' }, 'Comma-separated; profiles and modules can select devices by tag.'),
    );

    const profileSelect = h('select', {
      id: 'profile',
      disabled: disabled || profiles === null || profiles.length === 0,
    });
    profileSelect.append(h('option', { value: '' }, 'none assigned: the selectors decide'));
    for (const p of profiles ?? []) {
      profileSelect.append(h('option', { value: p.name, selected: d.profile === p.name }, `${p.name} (${p.kind})`));
    }
    const saveProfile = h('button', { type: 'submit', disabled: profileSelect.disabled }, 'Assign profile');
    const profileForm = h(
      'form',
      {
        class: 'row',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const profile = profileSelect.value === '' ? null : profileSelect.value;
          void busy(saveProfile, async () => {
            const r = await sendJson<{ profile: string | null; revoked?: string[] }>(
              'PUT',
              `/devices/${guidNow()}/profile`,
              { profile },
            );
            const revoked = r.revoked?.length
              ? ` Certificate(s) ${r.revoked.join(', ')} revoked: the device can no longer connect with them.`
              : '';
            return r.profile === null
              ? `Assignment removed: the selectors decide from its next TO2.${revoked}`
              : `Profile ${r.profile} assigned; it applies at the next TO2.${revoked}`;
          });
        },
      },
      h('label', { for: 'profile' }, 'Credential profile', profileSelect),
      saveProfile,
      profiles === null
        ? h('span', { class: 'hint' }, 'The profiles could not be loaded.')
        : profiles.length === 0
          ? h('span', { class: 'hint' }, 'No credential profiles configured.')
          : null,
    );

    const keyText = h('textarea', {
      id: 'next-owner',
      rows: 4,
      cols: 64,
      disabled,
      placeholder: '-----BEGIN PUBLIC KEY-----',
    });
    const keyFile = h('input', { id: 'next-owner-file', type: 'file', accept: '.pem,.crt,.cer', disabled });
    keyFile.addEventListener('change', () => {
      void keyFile.files?.[0]?.text().then((text) => (keyText.value = text));
    });
    const extend = h('button', { type: 'submit', disabled }, 'Extend for resale');
    const extendForm = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void busy(extend, async () => {
            await sendJson('POST', `/vouchers/${guidNow()}/extend`, { ownerKey: keyText.value });
            const pem = await (await call('GET', `/vouchers/${guidNow()}?format=pem`)).text();
            download(`${guidNow()}.pem`, pem, 'application/x-pem-file');
            return 'Voucher extended to the next owner and downloaded: hand that file over. TO0 and TO2 stop here for this device.';
          });
        },
      },
      h('label', { for: 'next-owner' }, "Next owner's public key or certificate (PEM)", keyText),
      h('label', { for: 'next-owner-file' }, 'or load it from a file', keyFile),
      h('p', { class: 'hint' }, 'Once per voucher: the device, once reset, onboards to the next owner.'),
      extend,
    );
    const downloadVoucher = h('button', { type: 'button', class: 'secondary' }, 'Download voucher (PEM)');
    downloadVoucher.addEventListener('click', () =>
      busy(downloadVoucher, async () => {
        const pem = await (await call('GET', `/vouchers/${guidNow()}?format=pem`)).text();
        download(`${guidNow()}.pem`, pem, 'application/x-pem-file');
        return 'Voucher downloaded.';
      }),
    );

    fill(
      actions,
      h('h2', { id: 'actions-title' }, 'Actions'),
      canWrite ? null : h('p', { class: 'notice' }, 'Your token has the read scope only: actions need write.'),
      h('div', { class: 'panel row' }, register, downloadVoucher),
      h('div', { class: 'panel' }, tagsForm),
      h('div', { class: 'panel' }, profileForm),
      h('details', { class: 'panel' }, h('summary', {}, 'Extend for resale'), extendForm),
    );
  }

  void (async () => {
    [keys, profiles] = await Promise.all([
      getJson<{ keys: OwnerKey[] }>('/owner-keys').then(
        (r) => r.keys,
        () => [],
      ),
      listProfiles().catch(() => null),
    ]);
    await load();
  })();
  const timer = window.setInterval(() => void load(), POLL_MS);
  return () => window.clearInterval(timer);
};
