/**
 * A bounded cache of parsed keys, keyed by the key's DER bytes. Parsing a public key costs as much
 * as a P-256 verification (platform notes), and keys arrive as bytes from storage and the wire, so
 * the cache is by content, not by object identity.
 */
export class KeyCache<T> {
  readonly #entries = new Map<string, T>();
  constructor(readonly capacity = 4096) {}

  get(der: Uint8Array, parse: (der: Uint8Array) => T): T {
    const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
    const hit = this.#entries.get(id);
    if (hit !== undefined) return hit;
    const parsed = parse(der);
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, parsed);
    return parsed;
  }
}
