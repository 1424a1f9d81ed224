/**
 * Plain words for states, protocol steps and errors, so the page says what happened and what to do
 * (FDO 1.1 §2.3: TO0 registers the owner at the rendezvous server, TO1 sends the device there, TO2
 * onboards it here).
 */
import { when } from './dom.js';

export const STATES = ['imported', 'registered', 'to2-started', 'onboarded', 'failed', 'transferred'] as const;
export type State = (typeof STATES)[number];

export const STATE_LABELS: Record<State, string> = {
  imported: 'Imported',
  registered: 'Registered at rendezvous',
  'to2-started': 'Onboarding',
  onboarded: 'Onboarded',
  failed: 'Failed',
  transferred: 'Sold (transferred)',
};

export function stateLabel(state: string): string {
  return STATE_LABELS[state as State] ?? state;
}

export interface Registration {
  url: string;
  state: string;
  registeredUntil: string | null;
  failures: number;
  lastError: string | null;
  nextAttemptAt: string;
}

export interface Device {
  guid: string;
  deviceInfo?: string;
  state: string;
  stateAt: string;
  importedAt: string;
  registeredUntil?: string | null;
  to2StartedAt?: string | null;
  onboardedAt?: string | null;
  failedAt?: string | null;
  failedStep?: string | null;
  failedReason?: string | null;
  facts?: { os?: string; arch?: string; version?: string; serial?: string };
  credentialReuse?: boolean;
  tags: string[];
  previousGuid?: string | null;
  transferredAt?: string | null;
  transferredTo?: string | null;
  /** Credential profile: assigned, else delivered by the last TO2, else matched by the selectors. */
  profile?: string | null;
  /** GET /devices/:guid only: the ServiceInfo modules of its last TO2 and their outcome. */
  serviceInfo?: ModuleOutcome[];
  /** GET /devices/:guid only: operational certificates the owner's issuing CA signed for it. */
  certificates?: IssuedCertificate[];
  rendezvous?: Registration[];
  events?: DeviceEvent[];
}

export interface ModuleOutcome {
  module: string;
  /** ok | error | not-supported | incomplete */
  result: string;
  at: string;
  detail?: string;
}

export interface IssuedCertificate {
  serial: string;
  profile: string | null;
  subject: string;
  issuedAt: string;
  notAfter: string;
  revokedAt: string | null;
  revokedReason: string | null;
}

export interface DeviceEvent {
  at: string;
  step: string;
  outcome: string;
  message: string | null;
}

const isPast = (iso: string | null | undefined, now: number) => iso != null && Date.parse(iso) <= now;

/** One line under the state: until when, since when, or why it failed. */
export function stateDetail(d: Device, now = Date.now()): string {
  switch (d.state) {
    case 'imported':
      return `imported ${when(d.importedAt)}; not registered at a rendezvous server yet`;
    case 'registered':
      return isPast(d.registeredUntil, now)
        ? `registration expired ${when(d.registeredUntil)}; the owner renews it`
        : `registered at rendezvous until ${when(d.registeredUntil)}`;
    case 'to2-started':
      return `onboarding since ${when(d.to2StartedAt)}`;
    case 'onboarded':
      return `onboarded ${when(d.onboardedAt)}`;
    case 'failed':
      return `${stepLabel(d.failedStep ?? 'TO2')} failed ${when(d.failedAt)}: ${explainReason(d.failedStep ?? '', d.failedReason ?? '')}`;
    case 'transferred':
      return `voucher extended to the next owner ${when(d.transferredAt)}`;
    default:
      return '';
  }
}

export function stepLabel(step: string): string {
  if (step === 'import') return 'Import';
  if (step === 'to0') return 'TO0 (registration at the rendezvous server)';
  if (step === 'to2') return 'TO2 (onboarding)';
  if (step === 'api') return 'Change by an operator';
  const m = /^TO2\.(\w+)$/.exec(step);
  return m === null ? step : `TO2 at ${m[1]}`;
}

/** What a TO2 failure reason means for the operator. */
export function explainReason(step: string, reason: string): string {
  const r = reason.toLowerCase();
  const hints: [RegExp, string][] = [
    [
      /hmac/,
      'the device does not match this voucher (its HMAC differs): the voucher is for another device or was changed',
    ],
    [/signature|verify/, 'a signature did not verify: the device or the voucher is not what it claims'],
    [
      /expired|timed out|timeout/,
      'the session timed out: the device stopped answering between messages; it retries at its next start',
    ],
    [/unknown guid|no voucher/, 'the owner holds no voucher for this device: import its voucher'],
    [/too large|size/, 'a message was larger than the other side accepts'],
  ];
  const hint = hints.find(([re]) => re.test(r))?.[1];
  const where = /ProveDevice/.test(step) ? ' (the device proving its identity)' : '';
  return hint === undefined ? `${reason}${where}` : `${hint}${where} — ${reason}`;
}

/** An explanation for an error event on the timeline, or null. */
export function explainEvent(e: DeviceEvent): string | null {
  if (e.outcome !== 'error') return null;
  const message = e.message ?? '';
  if (e.step === 'to0') {
    const m = message.toLowerCase();
    const cause = /econnrefused|fetch failed|enotfound|did not answer/.test(m)
      ? 'the rendezvous server could not be reached (not running, or a wrong address in the voucher)'
      : /trust|not allowed|denied|403|401/.test(m)
        ? "the rendezvous server does not accept this owner's key: ask its operator to trust it"
        : 'the rendezvous server refused the registration';
    return `TO0: ${cause}. Until it succeeds, a device starting TO1 finds no registration. The owner retries by itself.`;
  }
  return `${stepLabel(e.step)}: ${explainReason(e.step, message)}`;
}

/**
 * What a device powered on now would meet at TO1, when that is a problem: no live registration at
 * any rendezvous server (TO0 not run yet, failing, or expired). Null when it would find its owner.
 */
export function to1Problem(d: Device, now = Date.now()): string | null {
  if (d.state !== 'imported' && d.state !== 'registered' && d.state !== 'failed') return null;
  const rv = d.rendezvous ?? [];
  if (rv.some((r) => r.registeredUntil !== null && !isPast(r.registeredUntil, now))) return null;
  const lead = 'TO1: no registration at the rendezvous server:';
  if (rv.length === 0) {
    return `${lead} the voucher names no rendezvous server this owner can register at, or TO0 is off on this owner.`;
  }
  const expired = rv
    .map((r) => r.registeredUntil)
    .filter((u): u is string => u !== null)
    .sort()
    .at(-1);
  if (expired !== undefined) {
    return `${lead} TO0 expired at ${when(expired)}. The owner renews it on its next round; "Re-register with rendezvous" does it now.`;
  }
  const failing = rv.find((r) => r.lastError !== null);
  return failing === undefined
    ? `${lead} TO0 has not run yet (next attempt ${when(rv[0]!.nextAttemptAt)}).`
    : `${lead} TO0 has not succeeded yet: ${failing.url}: ${failing.lastError} (next attempt ${when(failing.nextAttemptAt)}).`;
}

/** A ServiceInfo module's outcome in words. */
export function moduleResultLabel(result: string): string {
  switch (result) {
    case 'ok':
      return 'applied';
    case 'error':
      return 'failed';
    case 'not-supported':
      return 'not supported by the device';
    case 'incomplete':
      return 'not finished (TO2 ended first)';
    default:
      return result;
  }
}

const REVOKE_REASONS: Record<string, string> = {
  superseded: 'superseded by a newer certificate (the device enrolled again)',
  'profile-changed': 'the device was moved to another profile',
  api: 'revoked by an operator',
};

/** A certificate's standing: valid until, expired, or revoked (when and why). */
export function certificateStatus(c: IssuedCertificate, now = Date.now()): string {
  if (c.revokedAt !== null) {
    const why = c.revokedReason === null ? '' : `: ${REVOKE_REASONS[c.revokedReason] ?? c.revokedReason}`;
    return `revoked ${when(c.revokedAt)}${why}`;
  }
  return isPast(c.notAfter, now) ? 'expired' : 'valid';
}

/** Import results in plain words. */
export function importResultLabel(result: string): string {
  return result === 'imported' ? 'Imported' : result === 'duplicate' ? 'Already held (duplicate)' : 'Rejected';
}
