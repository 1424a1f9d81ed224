/**
 * A bounded cache of parsed keys, keyed by the key's DER bytes. Parsing a public key costs as much
 * as a P-256 verification (platform notes), and keys arrive as bytes from storage and the wire, so
 * the cache is by content, not by object identity. Other values decoded from bytes read again and
 * again (a voucher at each TO2 message) use it too. Oldest entries go first.
 */
export class KeyCache<T> {
  readonly #entries = new Map<string, T>();
  constructor(readonly capacity = 4096) {}

  get(der: Uint8Array, parse: (der: Uint8Array) => T): T {
    const id = idOf(der);
    const hit = this.#entries.get(id);
    if (hit !== undefined) return hit;
    const parsed = parse(der);
    this.#put(id, parsed);
    return parsed;
  }

  /** Remembers a value parsed elsewhere (e.g. a key object that came with a certificate). */
  set(der: Uint8Array, value: T): void {
    this.#put(idOf(der), value);
  }

  #put(id: string, value: T): void {
    if (this.#entries.size >= this.capacity && !this.#entries.has(id)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, value);
  }
}

const idOf = (der: Uint8Array): string => Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
