/**
 * Typed-array helpers shared across stages.
 */

/** Concatenates typed arrays of one kind into a new one made by `make(length)`. */
export function concatArrays<T extends Float64Array | Uint32Array>(parts: readonly T[], make: (length: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}
