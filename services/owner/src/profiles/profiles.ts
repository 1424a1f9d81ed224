/**
 * Credential profiles at work: which profile a device gets (assigned through the API, else the
 * first configured profile whose selector matches), and the three owner modules that deliver it in
 * TO2, in this order: fdo-platform.profile (names the profile and so the device's directory),
 * fdo.csr (the device's own key, a certificate from the issuing CA, recorded; earlier ones
 * revoked) and fdo.download (ca.pem and config.json). Each module looks the profile up again from
 * the database, so nothing but the module state travels in the TO2 session.
 */
import {
  csrOwner,
  downloadOwner,
  profileOwner,
  selectorMatches,
  type DeviceFacts,
  type DevmodFacts,
  type OwnerServiceInfoModule,
} from '@fdo/protocol/serviceinfo';
import { certificatesToPem } from '@fdo/protocol/x509';
import type { PrismaClient } from '@fdo/storage';
import type { DeviceStatus } from '../store/device-status.js';
import type { CertificateStore } from './certificates.js';
import { deviceConfig, render, selectorOf, subjectTemplate, type CredentialProfile } from './definitions.js';
import type { IssuingCa } from './issuing-ca.js';

export interface ProfilesOptions {
  profiles: readonly CredentialProfile[];
  prisma: PrismaClient;
  ca: IssuingCa;
  certificates: CertificateStore;
  /** Default certificate subject (template) and lifetime. */
  certSubject: string;
  certValidityDays: number;
}

export class Profiles {
  readonly #o: ProfilesOptions;
  readonly #byName: Map<string, CredentialProfile>;

  constructor(options: ProfilesOptions) {
    this.#o = options;
    this.#byName = new Map(options.profiles.map((p) => [p.name, p]));
  }

  get certificates(): CertificateStore {
    return this.#o.certificates;
  }

  list(): readonly CredentialProfile[] {
    return this.#o.profiles;
  }

  byName(name: string): CredentialProfile | undefined {
    return this.#byName.get(name);
  }

  /** The first profile whose selector matches (configuration order). */
  matched(device: DeviceFacts): CredentialProfile | null {
    return this.#o.profiles.find((p) => selectorMatches(selectorOf(p.selector), device)) ?? null;
  }

  /** In TO2: the assigned profile, else the matched one. */
  async forDevice(device: DeviceFacts): Promise<CredentialProfile | null> {
    const row = await this.#o.prisma.ownerVoucher.findFirst({
      where: { OR: [{ guid: device.guid }, { previousGuid: device.guid }] },
      select: { profile: true },
    });
    const assigned = row?.profile == null ? undefined : this.#byName.get(row.profile);
    return assigned ?? this.matched(device);
  }

  /**
   * For the API: assigned, else the one the last TO2 delivered, else the one its tags, GUID and the
   * stored devmod facts match.
   */
  effective(d: DeviceStatus & { profile: string | null; onboardedProfile: string | null }): string | null {
    if (d.profile !== null) return d.profile;
    if (d.onboardedProfile !== null) return d.onboardedProfile;
    const devmod = {
      os: d.facts.os ?? '',
      arch: d.facts.arch ?? '',
      version: d.facts.version ?? '',
      device: '',
      sn: d.facts.serial ?? null,
    } as DevmodFacts;
    const facts = d.facts.os === undefined ? null : devmod;
    const p = this.#o.profiles.find((p) => {
      const s = selectorOf(p.selector);
      if (s.devmod !== undefined && facts === null) return false;
      return selectorMatches(s, { guid: d.guid, tags: d.tags, devmod: facts ?? devmod });
    });
    return p?.name ?? null;
  }

  /** The owner modules that deliver profiles, in the order they must run. */
  modules(): OwnerServiceInfoModule[] {
    const { ca, certificates } = this.#o;
    const required = async (device: DeviceFacts) => {
      const p = await this.forDevice(device);
      if (p === null) throw new Error(`device ${device.guid} no longer has a credential profile`);
      return p;
    };
    const hasProfile = async (device: DeviceFacts) => (await this.forDevice(device)) !== null;
    const profile = profileOwner({
      profileOf: async (device) => {
        const p = await this.forDevice(device);
        return p === null ? null : { name: p.name, kind: p.kind };
      },
    });
    const csr = csrOwner({
      issuer: ca,
      caCertificates: ca.chain,
      validityDays: this.#o.certValidityDays,
      subject: async (device) => {
        const p = await required(device);
        return render(subjectTemplate(p, this.#o.certSubject), device, p.name);
      },
      onIssued: async (device, certificate) => {
        const p = await this.forDevice(device);
        await certificates.issued(device.guid, p?.name ?? null, certificate);
      },
    });
    const download = downloadOwner({
      files: async (device) => {
        const p = await required(device);
        const trust = p.ca.length > 0 ? p.ca : [ca.certificate];
        const config = `${JSON.stringify(deviceConfig(p, device), null, 2)}\n`;
        return [
          { name: 'ca.pem', contents: Buffer.from(certificatesToPem(trust), 'utf8'), required: true },
          { name: 'config.json', contents: Buffer.from(config, 'utf8'), required: true },
        ];
      },
    });
    return [
      profile,
      { ...csr, appliesTo: hasProfile },
      { ...download, appliesTo: hasProfile },
    ] as OwnerServiceInfoModule[];
  }
}
