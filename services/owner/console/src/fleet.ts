/**
 * The fleet: counts per state, a filter (GUID, serial or device info; tag; state; import time), and the
 * devices with their state in words. It polls the management API every 2 s while open, so an installer
 * watches devices come online without reloading.
 */
import { ApiFailure, getJson } from './api.js';
import { announce, fill, h, when } from './dom.js';
import type { View } from './main.js';
import { STATE_LABELS, STATES, stateDetail, stateLabel, type Device } from './words.js';

export const POLL_MS = 2000;
const PAGE = 200;

interface Filter {
  q: string;
  tag: string;
  state: string;
  from: string;
  to: string;
}

/** Kept across visits to the fleet view (until the tab closes). */
const filter: Filter = { q: '', tag: '', state: '', from: '', to: '' };
let limit = PAGE;

function query(f: Filter): string {
  const p = new URLSearchParams();
  if (f.q.trim() !== '') p.set('q', f.q.trim());
  if (f.tag.trim() !== '') p.set('tag', f.tag.trim());
  if (f.state !== '') p.set('state', f.state);
  if (f.from !== '') p.set('from', new Date(f.from).toISOString());
  if (f.to !== '') p.set('to', new Date(f.to).toISOString());
  return p.toString();
}

export const renderFleet: View = (main) => {
  const counts = h('ul', { class: 'counts', 'aria-label': 'Devices per state' });
  const status = h('span', { id: 'live-status' }, 'Loading…');
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const tbody = h('tbody');
  const more = h('p', { hidden: true });
  let paused = false;
  let lastJson = '';

  const input = (id: string, label: string, key: keyof Filter, attrs: Record<string, string> = {}) => {
    const el = h('input', { id, name: key, value: filter[key], ...attrs });
    el.addEventListener('input', () => {
      filter[key] = el.value;
      schedule();
    });
    return h('label', { for: id }, label, el);
  };
  const stateSelect = h(
    'select',
    { id: 'f-state', name: 'state' },
    h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s, selected: filter.state === s }, STATE_LABELS[s])),
  );
  stateSelect.addEventListener('change', () => {
    filter.state = stateSelect.value;
    schedule();
  });
  const pause = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Pause updates');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
    if (!paused) void refresh();
  });

  fill(
    main,
    h('h1', {}, 'Fleet'),
    counts,
    h(
      'form',
      {
        class: 'panel row',
        role: 'search',
        'aria-label': 'Filter devices',
        onsubmit: (e: Event) => e.preventDefault(),
      },
      input('f-q', 'GUID, serial or device info', 'q', { type: 'search', placeholder: 'e.g. SN-1234' }),
      input('f-tag', 'Tag', 'tag', { type: 'text' }),
      h('label', { for: 'f-state' }, 'State', stateSelect),
      input('f-from', 'Imported from', 'from', { type: 'datetime-local' }),
      input('f-to', 'Imported before', 'to', { type: 'datetime-local' }),
    ),
    h('div', { class: 'live' }, h('span', { 'aria-hidden': 'true' }, '●'), status, pause),
    error,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'devices' },
        h('caption', { class: 'visually-hidden' }, 'Devices, oldest import first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Device'),
            h('th', { scope: 'col' }, 'Serial'),
            h('th', { scope: 'col' }, 'State'),
            h('th', { scope: 'col' }, 'Tags'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Imported'),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );

  function drawCounts(c: Record<string, number>): void {
    fill(
      counts,
      [['', 'All devices', c.total ?? 0] as const, ...STATES.map((s) => [s, STATE_LABELS[s], c[s] ?? 0] as const)].map(
        ([state, label, n]) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                'data-state': state === '' ? 'total' : state,
                'aria-pressed': String(filter.state === state),
                onclick: () => {
                  filter.state = state;
                  stateSelect.value = state;
                  schedule(0);
                },
              },
              h('span', { class: 'n' }, n),
              h('span', {}, label),
            ),
          ),
      ),
    );
  }

  function drawDevices(devices: Device[], nextCursor: string | null): void {
    if (devices.length === 0) {
      fill(tbody, h('tr', {}, h('td', { colspan: 5 }, 'No device matches. Import vouchers, or change the filter.')));
    } else {
      fill(
        tbody,
        devices.map((d) =>
          h(
            'tr',
            { 'data-guid': d.guid, 'data-state': d.state },
            h(
              'td',
              {},
              h('a', { href: `#/device/${d.guid}`, class: 'mono' }, d.guid),
              d.deviceInfo ? h('div', { class: 'hint' }, d.deviceInfo) : null,
            ),
            h('td', {}, d.facts?.serial ?? '—'),
            h(
              'td',
              {},
              h('span', { class: `state state-${d.state}` }, stateLabel(d.state)),
              h('div', { class: 'hint' }, stateDetail(d)),
            ),
            h(
              'td',
              {},
              d.tags.map((t) => h('span', { class: 'tag' }, t)),
            ),
            h('td', { class: 'hide-narrow' }, when(d.importedAt)),
          ),
        ),
      );
    }
    more.hidden = nextCursor === null;
    if (nextCursor !== null) {
      fill(
        more,
        `Showing the first ${devices.length} devices. `,
        limit < 1000
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => ((limit = Math.min(1000, limit + PAGE)), schedule(0)),
              },
              'Show more',
            )
          : 'Narrow the filter to see the others.',
      );
    }
  }

  async function refresh(): Promise<void> {
    const q = query(filter);
    try {
      const [c, list] = await Promise.all([
        getJson<Record<string, number>>(
          `/devices/counts${filter.tag.trim() === '' ? '' : `?tag=${encodeURIComponent(filter.tag.trim())}`}`,
        ),
        getJson<{ devices: Device[]; nextCursor: string | null }>(`/devices?limit=${limit}${q === '' ? '' : `&${q}`}`),
      ]);
      error.hidden = true;
      const json = JSON.stringify([c, list, filter.state]);
      if (json !== lastJson) {
        lastJson = json;
        drawCounts(c);
        drawDevices(list.devices, list.nextCursor);
      }
      status.textContent = `Live: updated ${new Date().toLocaleTimeString()} (every ${POLL_MS / 1000} s)`;
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) return;
      error.hidden = false;
      error.textContent = `Could not load devices: ${(err as Error).message}`;
      status.textContent = 'Updates failing; retrying';
    }
  }

  let debounce: number | undefined;
  function schedule(delay = 300): void {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => {
      lastJson = '';
      void refresh().then(() => announce(`${tbody.rows.length} devices shown`));
    }, delay);
  }

  void refresh();
  const timer = window.setInterval(() => {
    if (!paused && document.visibilityState === 'visible') void refresh();
  }, POLL_MS);
  return () => {
    window.clearInterval(timer);
    window.clearTimeout(debounce);
  };
};
