/**
 * Grouped k-fold splits: runs sharing a configuration group (the same hyperparameters,
 * differing only by seed) always land in the same fold, so no fold is evaluated on a
 * near-copy of a run it trained on. Groups are shuffled with a seed, then assigned,
 * largest first, to the fold with the fewest runs so far (as scikit-learn's GroupKFold
 * balances sizes, with a seeded order among equal sizes).
 */
import { OptionError } from '../errors.js';
import { createRng } from '../util/random.js';

/**
 * Assigns each row to a fold 0..k-1 by its group. Returns the fold of every row.
 * Throws `OptionError` (field `folds`) when there are fewer groups than folds.
 */
export function groupedFolds(groups: readonly string[], k: number, seed = 0): Uint16Array {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
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
