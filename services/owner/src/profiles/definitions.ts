/**
 * Operational credential profiles (docs/credential-profiles.md): what the owner configures under
 * `profiles` in FDO_OWNER_CONFIG (or FDO_OWNER_PROFILES as JSON), checked at start. A profile is
 * one kind (`mqtt`, `aws-iot`, `azure-iot`), a selector (tags, GUIDs, devmod facts, as
 * `forDevices`), and what goes into the device's config.json. Text fields are templates over the
 * device: `{guid}`, `{sn}` (devmod:sn), `{device}` (devmod:device), `{profile}`.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { PROFILE_NAME, type DeviceFacts, type ModuleSelector } from '@fdo/protocol/serviceinfo';
import { certificatesFromPem } from '@fdo/protocol/x509';
import type { RawValue } from '@fdo/server-kit';

export const PROFILE_KINDS = ['mqtt', 'aws-iot', 'azure-iot'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** The selector as configured (devmod values "/…/" are regular expressions). */
export interface SelectorJson {
  tags?: string[];
  guids?: string[];
  devmod?: Partial<Record<'os' | 'arch' | 'version' | 'device' | 'sn', string>>;
}

interface ProfileBase {
  name: string;
  description?: string;
  selector: SelectorJson;
  /** Subject of the device certificate (template); default per kind. */
  subject?: string;
  /** Server trust anchors for ca.pem: the file and its certificates (DER). */
  caFile?: string;
  ca: Uint8Array[];
}

export interface MqttProfile extends ProfileBase {
  kind: 'mqtt';
  brokerUrl: string;
  clientId: string;
  topicPrefix: string;
}

export interface AwsIotProfile extends ProfileBase {
  kind: 'aws-iot';
  endpoint: string;
  port: number;
  thingName: string;
  topicPrefix: string;
}

export interface AzureIotProfile extends ProfileBase {
  kind: 'azure-iot';
  deviceId: string;
  hubHostName?: string;
  idScope?: string;
  globalEndpoint: string;
}

export type CredentialProfile = MqttProfile | AwsIotProfile | AzureIotProfile;

const TEMPLATE_VARS = ['guid', 'sn', 'device', 'profile'];
const DEVMOD_KEYS = ['os', 'arch', 'version', 'device', 'sn'];

/** `template` with the device's values; an unknown devmod value is left empty. */
export function render(template: string, device: DeviceFacts, profile: string): string {
  return template.replace(/\{(\w+)\}/g, (_, v: string) => {
    switch (v) {
      case 'guid':
        // The GUID the device holds after this TO2 (its replacement GUID), which the owner's records follow.
        return device.nextGuid;
      case 'sn':
        return device.devmod.sn ?? '';
      case 'device':
        return device.devmod.device ?? '';
      default:
        return profile;
    }
  });
}

/** The selector for `selectorMatches`: "/re/" devmod values become regular expressions. */
export function selectorOf(s: SelectorJson): ModuleSelector {
  const devmod: NonNullable<ModuleSelector['devmod']> = {};
  for (const [k, v] of Object.entries(s.devmod ?? {})) {
    devmod[k as keyof typeof devmod] =
      v.length > 2 && v.startsWith('/') && v.endsWith('/') ? new RegExp(v.slice(1, -1)) : v;
  }
  return {
    ...(s.tags === undefined ? {} : { tags: s.tags }),
    ...(s.guids === undefined ? {} : { guids: s.guids.map((g) => g.toLowerCase()) }),
    ...(s.devmod === undefined ? {} : { devmod }),
  };
}

class Fields {
  constructor(
    private readonly where: string,
    private readonly o: Record<string, unknown>,
  ) {}

  text(key: string, fallback?: string): string {
    const v = this.o[key] ?? fallback;
    if (typeof v !== 'string' || v.trim() === '') throw new Error(`${this.where}.${key} must be a non-empty string`);
    for (const m of v.matchAll(/\{(\w+)\}/g)) {
      if (!TEMPLATE_VARS.includes(m[1]!)) {
        throw new Error(
          `${this.where}.${key}: unknown {${m[1]}} (use ${TEMPLATE_VARS.map((x) => `{${x}}`).join(', ')})`,
        );
      }
    }
    return v.trim();
  }

  optional(key: string): string | undefined {
    return this.o[key] === undefined ? undefined : this.text(key);
  }

  url(key: string, schemes: readonly string[]): string {
    const v = this.text(key);
    let scheme: string;
    try {
      scheme = new URL(v).protocol;
    } catch {
      throw new Error(`${this.where}.${key} "${v}" is not a URL such as ${schemes[0]}//broker.example.com:8883`);
    }
    if (!schemes.includes(scheme)) throw new Error(`${this.where}.${key} "${v}" must use ${schemes.join(' or ')}`);
    return v;
  }

  strings(key: string, o: Record<string, unknown> = this.o, where = this.where): string[] | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === '')) {
      throw new Error(`${where}.${key} must be a non-empty array of strings`);
    }
    return v as string[];
  }

  only(keys: readonly string[]): void {
    const unknown = Object.keys(this.o).filter((k) => !keys.includes(k));
    if (unknown.length > 0)
      throw new Error(`${this.where}: unknown field ${unknown.join(', ')} (known: ${keys.join(', ')})`);
  }
}

function selector(where: string, v: unknown): SelectorJson {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  const f = new Fields(where, o);
  f.only(['tags', 'guids', 'devmod']);
  const out: SelectorJson = {};
  const tags = f.strings('tags');
  const guids = f.strings('guids');
  if (tags !== undefined) out.tags = tags;
  if (guids !== undefined) out.guids = guids;
  if (o.devmod !== undefined) {
    if (typeof o.devmod !== 'object' || o.devmod === null) throw new Error(`${where}.devmod must be an object`);
    const d = o.devmod as Record<string, unknown>;
    for (const [k, value] of Object.entries(d)) {
      if (!DEVMOD_KEYS.includes(k)) throw new Error(`${where}.devmod.${k}: not one of ${DEVMOD_KEYS.join(', ')}`);
      if (typeof value !== 'string' || value === '') throw new Error(`${where}.devmod.${k} must be a string`);
    }
    out.devmod = d as SelectorJson['devmod'];
    selectorOf(out); // a bad /regex/ fails here, at start
  }
  return out;
}

function caCertificates(where: string, file: string | undefined, base: string): Uint8Array[] {
  if (file === undefined) return [];
  const path = isAbsolute(file) ? file : resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const certs = certificatesFromPem(text);
  if (certs.length === 0) throw new Error(`${where}: ${path} holds no CERTIFICATE block`);
  return certs;
}

function profileOf(name: string, v: unknown, base: string): CredentialProfile {
  const where = `profiles.${name}`;
  if (!PROFILE_NAME.test(name)) throw new Error(`${where}: the name must be one path segment (${PROFILE_NAME.source})`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  const f = new Fields(where, o);
  const kind = o.kind as ProfileKind;
  if (!PROFILE_KINDS.includes(kind)) throw new Error(`${where}.kind must be one of ${PROFILE_KINDS.join(', ')}`);
  const common = ['kind', 'description', 'selector', 'subject', 'caFile'];
  const description = f.optional('description');
  const subject = f.optional('subject');
  const caFile = f.optional('caFile');
  const ca = caCertificates(`${where}.caFile`, caFile, base);
  const baseFields = {
    name,
    selector: selector(`${where}.selector`, o.selector),
    ca,
    ...(description === undefined ? {} : { description }),
    ...(subject === undefined ? {} : { subject }),
    ...(caFile === undefined ? {} : { caFile: isAbsolute(caFile) ? caFile : resolve(base, caFile) }),
  };
  return kindFields(kind, baseFields, f, o, common);
}

/** The fields of one kind, checked, over the common ones. */
function kindFields(
  kind: ProfileKind,
  baseFields: ProfileBase,
  f: Fields,
  o: Record<string, unknown>,
  common: readonly string[],
): CredentialProfile {
  const where = `profiles.${baseFields.name}`;
  const ca = baseFields.ca;
  switch (kind) {
    case 'mqtt':
      f.only([...common, 'brokerUrl', 'clientId', 'topicPrefix']);
      return {
        ...baseFields,
        kind,
        brokerUrl: f.url('brokerUrl', ['mqtts:', 'ssl:', 'tls:', 'mqtt:', 'tcp:']),
        clientId: f.text('clientId', '{guid}'),
        topicPrefix: f.text('topicPrefix', 'devices/{guid}'),
      };
    case 'aws-iot': {
      f.only([...common, 'endpoint', 'port', 'thingName', 'topicPrefix']);
      if (ca.length === 0) throw new Error(`${where}.caFile: name the Amazon root CA file (AmazonRootCA1.pem)`);
      const port = o.port ?? 8883;
      if (port !== 8883 && port !== 443) throw new Error(`${where}.port must be 8883 or 443`);
      return {
        ...baseFields,
        kind,
        endpoint: f.text('endpoint'),
        port: port as number,
        thingName: f.text('thingName', '{guid}'),
        topicPrefix: f.text('topicPrefix', 'things/{guid}'),
      };
    }
    case 'azure-iot': {
      f.only([...common, 'deviceId', 'hubHostName', 'idScope', 'globalEndpoint']);
      if (ca.length === 0)
        throw new Error(`${where}.caFile: name the Azure server root CA file (DigiCert Global Root G2)`);
      const hubHostName = f.optional('hubHostName');
      const idScope = f.optional('idScope');
      if ((hubHostName === undefined) === (idScope === undefined)) {
        throw new Error(
          `${where}: give either hubHostName (IoT Hub directly) or idScope (Device Provisioning Service)`,
        );
      }
      return {
        ...baseFields,
        kind,
        deviceId: f.text('deviceId', '{guid}'),
        globalEndpoint: f.text('globalEndpoint', 'global.azure-devices-provisioning.net'),
        ...(hubHostName === undefined ? {} : { hubHostName }),
        ...(idScope === undefined ? {} : { idScope }),
      };
    }
  }
}

/** The `profiles` setting: an object of profiles by name (in the environment, its JSON text). */
export function parseProfiles(raw: RawValue): CredentialProfile[] {
  let v = raw.value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (err) {
      throw new Error(`is not JSON: ${(err as Error).message}`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be an object of profiles by name');
  return Object.entries(v as Record<string, unknown>).map(([name, p]) => profileOf(name, p, raw.base));
}

/** The certificate subject for a device under a profile (Azure: CN is the device id; AWS: the thing name). */
export function subjectTemplate(p: CredentialProfile, fallback: string): string {
  if (p.subject !== undefined) return p.subject;
  if (p.kind === 'azure-iot') return `CN=${p.deviceId}`;
  if (p.kind === 'aws-iot') return `CN=${p.thingName}`;
  return fallback;
}

/** config.json for the device (docs/credential-profiles.md lists each kind's fields). */
export function deviceConfig(p: CredentialProfile, device: DeviceFacts): Record<string, unknown> {
  const r = (template: string) => render(template, device, p.name);
  const files = { certFile: 'cert.pem', keyFile: 'key.pem', caFile: 'ca.pem' };
  switch (p.kind) {
    case 'mqtt':
      return {
        kind: p.kind,
        profile: p.name,
        brokerUrl: p.brokerUrl,
        clientId: r(p.clientId),
        topicPrefix: r(p.topicPrefix),
        ...files,
      };
    case 'aws-iot': {
      const thingName = r(p.thingName);
      return {
        kind: p.kind,
        profile: p.name,
        endpoint: p.endpoint,
        port: p.port,
        thingName,
        clientId: thingName,
        topicPrefix: r(p.topicPrefix),
        ...files,
      };
    }
    case 'azure-iot': {
      const deviceId = r(p.deviceId);
      return {
        kind: p.kind,
        profile: p.name,
        deviceId,
        ...(p.idScope === undefined
          ? { provisioning: 'hub', hubHostName: p.hubHostName }
          : { provisioning: 'dps', idScope: p.idScope, globalEndpoint: p.globalEndpoint, registrationId: deviceId }),
        ...files,
      };
    }
  }
}
