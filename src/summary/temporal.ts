/**
 * Temporal summary over an epoch window: each snapshot feature at every epoch of the
 * window (`e3.fc1.eigenvector.mean`), its change between consecutive epochs
 * (`d2_3.fc1.eigenvector.mean` = value at 3 - value at 2) and its relative change over
 * the whole window (`rel0_3.fc1...` = (last - first) / (|first| + 1e-12)), and the
 * features of the update between consecutive epochs (`u2_3.fc1.relative_update`).
 */
import { EpochgraphError } from '../errors.js';
import { temporalFeature } from './columns.js';
import type { FeatureVector } from './snapshot.js';

function sameNames(vectors: readonly FeatureVector[]): void {
  const base = vectors[0]?.names ?? [];
  for (const s of vectors) {
    if (s.names.length !== base.length || s.names.some((n, i) => n !== base[i])) {
      throw new EpochgraphError('summary: snapshots of one run have different structures');
    }
  }
}

/** Options of `temporalSummary`. */
export interface TemporalSummaryOptions {
  /** False: only the last epoch's values (a static summary). Default true. */
  readonly temporal?: boolean;
  /** `updates[i - 1]`: the features of the update from epoch `epochs[i - 1]` to `epochs[i]`. */
  readonly updates?: readonly FeatureVector[];
  /**
   * Which snapshot features keep their per-epoch values and differences (default: all); the
   * others keep only their relative change over the window, which is free of their scale.
   */
  readonly keepValues?: (name: string) => boolean;
}

/**
 * Combines per-epoch snapshot features (same names, window order) into the temporal summary.
 * Returns the named features; throws if the snapshots' feature names differ (architecture changed).
 */
export function temporalSummary(epochs: readonly number[], snapshots: readonly FeatureVector[], options: TemporalSummaryOptions = {}): FeatureVector {
  const { temporal = true, updates = [], keepValues = () => true } = options;
  const base = snapshots[0].names;
  sameNames(snapshots);
  sameNames(updates);
  if (updates.length > 0 && updates.length !== epochs.length - 1) throw new EpochgraphError(`summary: ${updates.length} updates for a window of ${epochs.length} epochs`);
  const kept = base.flatMap((n, k) => (keepValues(n) ? [k] : []));
  if (!temporal) {
    const last = snapshots[epochs.length - 1].values;
    return { names: kept.map((k) => temporalFeature('value', [epochs.at(-1) as number], base[k])), values: Float64Array.from(kept, (k) => last[k]) };
  }
  const names: string[] = [];
  const values: number[] = [];
  epochs.forEach((e, i) => {
    for (const k of kept) {
      names.push(temporalFeature('value', [e], base[k]));
      values.push(snapshots[i].values[k]);
    }
  });
  for (let i = 1; i < epochs.length; i++) {
    for (const k of kept) {
      names.push(temporalFeature('change', [epochs[i - 1], epochs[i]], base[k]));
      values.push(snapshots[i].values[k] - snapshots[i - 1].values[k]);
    }
  }
  if (epochs.length > 1) {
    const first = snapshots[0].values;
    const last = snapshots.at(-1)!.values;
    base.forEach((n, k) => {
      names.push(temporalFeature('relative', [epochs[0], epochs.at(-1) as number], n));
      values.push((last[k] - first[k]) / (Math.abs(first[k]) + 1e-12));
    });
  }
  updates.forEach((update, i) => {
    update.names.forEach((n, k) => {
      names.push(temporalFeature('update', [epochs[i], epochs[i + 1]], n));
      values.push(update.values[k]);
    });
  });
  return { names, values: Float64Array.from(values) };
}
