/**
 * Grouped k-fold splits: runs sharing a configuration group (the same hyperparameters,
 * differing only by seed) always land in the same fold, so no fold is evaluated on a
 * near-copy of a run it trained on. Groups are shuffled with a seed, then assigned,
 * largest first, to the fold with the fewest runs so far (as scikit-learn's GroupKFold
 * balances sizes, with a seeded order among equal sizes). Grouped subsamples (a small
 * zoo's training part drawn from a larger one) keep groups whole the same way.
 */
import { OptionError } from '../errors.js';
import { createRng, shuffleInPlace } from '../util/random.js';
import type { Rng } from '../util/random.js';

/** The rows of each group, groups in order of first appearance. */
function groupMembers(groups: readonly string[]): Map<string, number[]> {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  return members;
}

/**
 * Assigns each row to a fold 0..k-1 by its group. Returns the fold of every row.
 * Throws `OptionError` (field `folds`) when there are fewer groups than folds.
 */
export function groupedFolds(groups: readonly string[], k: number, seed = 0): Uint16Array {
  const members = groupMembers(groups);
  if (!Number.isInteger(k) || k < 2) throw new OptionError('folds', `expected an integer >= 2, got ${k}`);
  if (members.size < k) throw new OptionError('folds', `${k} folds, but only ${members.size} distinct configurations to split`);
  const rng = createRng(seed);
  const keyed = [...members.values()].map((rows) => ({ rows, key: rng.uniform() }));
  keyed.sort((a, b) => b.rows.length - a.rows.length || a.key - b.key);
  const sizes = new Array(k).fill(0);
  const fold = new Uint16Array(groups.length);
  for (const { rows } of keyed) {
    let target = 0;
    for (let f = 1; f < k; f++) if (sizes[f] < sizes[target]) target = f;
    for (const r of rows) fold[r] = target;
    sizes[target] += rows.length;
  }
  return fold;
}

/**
 * A grouped random subsample of about `size` rows: groups are drawn in a random order from
 * `rng` and each is taken whole while it fits, so no group straddles the subsample and the
 * rest; the subsample holds exactly `size` rows when groups of the right sizes remain (always
 * when every group is one row). Returns the rows drawn, ascending. Throws `OptionError`
 * (field `trainSize`) when `size` is below 2 or leaves no row outside the subsample.
 */
export function groupedSubsample(groups: readonly string[], size: number, rng: Rng): number[] {
  if (!Number.isInteger(size) || size < 2 || size >= groups.length) {
    throw new OptionError('trainSize', `expected an integer from 2 to ${groups.length - 1} (the runs less one to test on), got ${size}`);
  }
  const order = shuffleInPlace([...groupMembers(groups).values()], rng);
  const drawn: number[] = [];
  for (const rows of order) {
    if (drawn.length + rows.length <= size) drawn.push(...rows);
    if (drawn.length === size) break;
  }
  return drawn.sort((a, b) => a - b);
}
