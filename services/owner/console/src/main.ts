/**
 * The owner console's entry: sign-in (an API token kept in sessionStorage, or a client certificate that
 * grants a scope under mutual TLS), and the hash routes #/fleet, #/import, #/device/<guid>, #/profiles,
 * #/keys. Nothing but the sign-in form is shown without a session.
 */
import { ApiFailure, session, storedToken, storeToken, whenUnauthorized, type Session } from './api.js';
import { announce, fill, h } from './dom.js';
import { renderDevice } from './device.js';
import { renderFleet } from './fleet.js';
import { renderImport } from './import.js';
import { renderKeys } from './keys.js';
import { renderProfiles } from './profiles.js';

/** What every view gets: who is signed in and what they may do. */
export interface ViewContext {
  session: Session;
  canWrite: boolean;
}

/** A view draws into `main` and returns what stops it (timers, polling). */
export type View = (main: HTMLElement, ctx: ViewContext, arg: string) => (() => void) | void;

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
let current: Session | null = null;
let stop: (() => void) | void = undefined;

function showSignIn(problem?: string): void {
  stop?.();
  stop = undefined;
  current = null;
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in — FDO owner console';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-hint',
  });
  const error = h('p', { class: 'error', role: 'alert', hidden: problem === undefined }, problem ?? '');
  const form = h(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        void signIn(token).catch((err: unknown) => {
          error.hidden = false;
          error.textContent =
            err instanceof ApiFailure && err.status === 401
              ? 'This token is unknown or revoked. Check it, or create one with: fdo-owner tokens create --name NAME --scope read|write|admin'
              : `Could not sign in: ${(err as Error).message}`;
          input.focus();
        });
      },
    },
    h('label', { for: 'token' }, 'Owner API token', input),
    h(
      'p',
      { id: 'token-hint', class: 'hint' },
      'Kept in this browser tab only (session storage) and sent to this owner service alone. A token with the read scope can look; write is needed to import and change.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  fill(
    main,
    h(
      'section',
      { class: 'signin panel', 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title' }, 'Sign in'),
      error,
      form,
    ),
  );
  input.focus();
}

async function signIn(token: string | null): Promise<void> {
  const s = await session(token);
  storeToken(token);
  current = s;
  nav.hidden = false;
  who.hidden = false;
  const via = s.clientCertificate === null ? '' : ` · certificate ${s.clientCertificate}`;
  (document.getElementById('who-name') as HTMLElement).textContent = `${s.name} (${s.scopes.join(', ')})${via}`;
  announce(`Signed in as ${s.name}`);
  if (location.hash === '' || location.hash === '#/' || location.hash === '#/signin') location.hash = '#/fleet';
  else route();
}

const VIEWS: Record<string, [string, View]> = {
  fleet: ['Fleet', renderFleet],
  import: ['Import vouchers', renderImport],
  device: ['Device', renderDevice],
  profiles: ['Profiles', renderProfiles],
  keys: ['Owner keys', renderKeys],
};

function route(): void {
  if (current === null) return;
  stop?.();
  stop = undefined;
  const [, name = 'fleet', ...rest] = location.hash.replace(/^#/, '').split('/');
  const entry = VIEWS[name] ?? VIEWS.fleet!;
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${entry[0]} — FDO owner console`;
  main.replaceChildren();
  const ctx: ViewContext = {
    session: current,
    canWrite: current.scopes.includes('write') || current.scopes.includes('admin'),
  };
  stop = entry[1](main, ctx, decodeURIComponent(rest.join('/')));
  main.focus({ preventScroll: true });
}

whenUnauthorized((message) => {
  storeToken(null);
  showSignIn(`Signed out: ${message}`);
});

document.getElementById('sign-out')!.addEventListener('click', () => {
  storeToken(null);
  location.hash = '';
  showSignIn();
  announce('Signed out');
});
window.addEventListener('hashchange', route);

// A stored token, else a client certificate alone (mutual TLS with a granted scope), else the form.
const saved = storedToken();
signIn(saved).catch(() => {
  if (saved !== null) storeToken(null);
  showSignIn(saved === null ? undefined : 'Your saved token no longer works: sign in again.');
});
