/**
 * Customer owner keys: the public keys the manufacturer extends new vouchers to at DI (FDO 1.1 §2.7,
 * §3.4.2), configured per batch/order tag, with a default for the rest. The manufacturer never holds
 * a customer's private key. A tag may list several keys, one per key type, since every key in a
 * voucher has the manufacturer key's type.
 */
import { readFileSync } from 'node:fs';
import { keyClass, ownerKeyFromPem, type PublicKey } from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import { DEFAULT_TAG_KEY, type TagRule } from './config.js';

export const ownerKeySha256 = (key: PublicKey): string => fingerprint(key.toDer().spki);

export class OwnerKeyDirectory {
  private constructor(private readonly byTag: ReadonlyMap<string, readonly PublicKey[]>) {}

  /** Reads every configured PEM file; errors name the tag and the file. */
  static load(files: Record<string, string[]>): OwnerKeyDirectory {
    const byTag = new Map<string, PublicKey[]>();
    for (const [tag, paths] of Object.entries(files)) {
      const keys = paths.map((path) => {
        const where = `owner key for ${tag === DEFAULT_TAG_KEY ? 'the default' : `tag "${tag}"`} (${path})`;
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (err) {
          throw new Error(
            `${where}: cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          );
        }
        return ownerKeyFromPem(text, where);
      });
      const classes = keys.map(keyClass);
      const twice = classes.find((c, i) => classes.indexOf(c) !== i);
      if (twice !== undefined)
        throw new Error(`owner keys of tag "${tag}": two ${twice} keys; give one key per key type`);
      byTag.set(tag, keys);
    }
    return new OwnerKeyDirectory(byTag);
  }

  get size(): number {
    return this.byTag.size;
  }

  /** Each configured tag with its keys' types and fingerprints, for the start-up log. */
  describe(): { tag: string; keys: string[] }[] {
    return [...this.byTag].map(([tag, keys]) => ({
      tag,
      keys: keys.map((k) => `${keyClass(k)} SHA256:${ownerKeySha256(k)}`),
    }));
  }

  /**
   * The owner key for a new voucher of `tag` whose manufacturer key is `mfgKey`: undefined when no
   * owner key is configured for the tag (nor a default), null when keys are configured but none of
   * the manufacturer key's type.
   */
  forVoucher(tag: string | null, mfgKey: PublicKey): PublicKey | null | undefined {
    const keys = (tag === null ? undefined : this.byTag.get(tag)) ?? this.byTag.get(DEFAULT_TAG_KEY);
    if (keys === undefined) return undefined;
    return keys.find((k) => keyClass(k) === keyClass(mfgKey)) ?? null;
  }
}

/** The tag of a new voucher: the first rule whose pattern matches the serial number, else the default tag. */
export function tagFor(serialNumber: string, rules: readonly TagRule[], defaultTag: string | null): string | null {
  for (const rule of rules) if (new RegExp(rule.serialPattern, 'u').test(serialNumber)) return rule.tag;
  return defaultTag;
}
