/**
 * Synthetic regression data with known structure, shared by the estimator tests and
 * bench/regressor.ts. Seeded, so every run (and the scikit-learn peer reading the same
 * numbers) sees identical data.
 */
import { matrix, type Matrix } from '../../src/predict/matrix.js';
import { curveColumn } from '../../src/summary/columns.js';
import type { FeatureTable } from '../../src/summary/table.js';
import { createRng, type Rng } from '../../src/util/random.js';

/** A feature matrix with its targets. */
export interface Dataset {
  readonly X: Matrix;
  readonly y: Float64Array;
}

/**
 * Friedman #1 (J. H. Friedman, Multivariate adaptive regression splines, Annals of
 * Statistics 19 (1991) 1-67; scikit-learn's make_friedman1): `cols` >= 5 features uniform on
 * [0, 1), y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise N(0, 1); the other
 * features are irrelevant.
 */
export function friedman1(rows: number, cols: number, noise: number, rng: Rng): Dataset {
  const data = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const x = data.subarray(i * cols, (i + 1) * cols);
    for (let j = 0; j < cols; j++) x[j] = rng.uniform();
    y[i] = 10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4] + noise * rng.normal();
  }
  return { X: matrix(data, rows, cols), y };
}

/**
 * A feature table of `runs` runs whose final accuracy is a noisy function of a graph
 * feature and of the test accuracy at epoch 1, with a few runs stuck at chance.
 */
export function syntheticTable(runs: number, seed: number, config: Record<string, unknown> = { dataset: 'mnist' }): FeatureTable {
  const rng = createRng(seed);
  const columns = ['graph:e1.fc1.strength.mean', 'graph:e1.fc1.strength.max', curveColumn(0, 'test_acc'), curveColumn(1, 'test_acc'), 'hyper:log10_lr'];
  const matrix = new Float64Array(runs * columns.length);
  const targets = new Float64Array(runs);
  for (let r = 0; r < runs; r++) {
    const strength = rng.uniform();
    const early = 0.1 + 0.7 * rng.uniform();
    const stuck = r % 7 === 0;
    targets[r] = stuck ? 0.1 : Math.min(0.99, 0.3 + 0.4 * strength + 0.3 * early + 0.02 * rng.normal());
    matrix.set([strength, strength + rng.uniform(), 0.1, stuck ? 0.1 : early, Math.log10(1e-3 + rng.uniform())], r * columns.length);
  }
  return {
    runs: Array.from({ length: runs }, (_, r) => `zoo/run-${r}`),
    ids: Array.from({ length: runs }, (_, r) => `run-${r}`),
    targets,
    groups: Array.from({ length: runs }, (_, r) => `config-${r}`),
    diverged: new Uint8Array(runs),
    configs: Array.from({ length: runs }, () => config),
    columns,
    matrix,
  };
}
