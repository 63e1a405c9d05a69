/**
 * Numeric-aware ("natural") ordering of parameter names: digit runs compare as
 * numbers, so `net.2.weight` sorts before `net.10.weight`.
 */

const CHUNK = /(\d+)/;

/** Compares two names naturally; returns <0, 0 or >0 like `Array.prototype.sort` expects. */
export function compareNatural(a: string, b: string): number {
  const pa = a.split(CHUNK);
  const pb = b.split(CHUNK);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    // Odd indices of split() with a capture group are the digit runs.
    if (i % 2 === 1) {
      const dx = BigInt(x);
      const dy = BigInt(y);
      if (dx !== dy) return dx < dy ? -1 : 1;
      // Equal values with different spelling ("01" vs "1"): shorter first, for a total order.
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Returns a new array of `names` in natural order. */
export function sortNatural(names: readonly string[]): string[] {
  return [...names].sort(compareNatural);
}
