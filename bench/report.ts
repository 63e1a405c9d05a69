/**
 * Shared printing for benchmark scripts: epochgraph's figure beside each peer's, with the ratio.
 */

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A named figure. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/**
 * Prints epochgraph's figure and each peer's, with ratio = how many times better epochgraph is
 * (`higher` is better for throughputs, `lower` for times).
 */
export function printComparison(
  title: string,
  ours: Figure,
  peers: readonly [name: string, value: number, unit: string][],
  better: 'higher' | 'lower',
): void {
  console.log(`\n${title}`);
  const width = Math.max(ours.name.length, ...peers.map(([name]) => name.length));
  const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value.toPrecision(3));
  console.log(`  ${ours.name.padEnd(width)}  ${fmt(ours.value).padStart(9)} ${ours.unit}`);
  for (const [name, value, unit] of peers) {
    const ratio = better === 'higher' ? ours.value / value : value / ours.value;
    console.log(`  ${name.padEnd(width)}  ${fmt(value).padStart(9)} ${unit}   epochgraph/peer: ${ratio.toFixed(2)}x ${ratio >= 1 ? 'better' : 'worse'}`);
  }
}
