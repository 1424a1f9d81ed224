/** Turns decoded values into plain data for deep comparison: bytes as hex, Maps as entry lists, classes as their own fields. */
export function plain(v: unknown, seen = new Set<unknown>()): unknown {
  if (v instanceof Uint8Array) return `h'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[cycle]';
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => plain(x, seen));
  if (v instanceof Map) return [...v].map(([k, x]) => [plain(k, seen), plain(x, seen)]);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x, seen);
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
