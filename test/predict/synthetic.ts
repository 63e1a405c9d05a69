/**
 * Synthetic regression data with known structure, shared by the estimator tests and
 * bench/regressor.ts. Seeded, so every run (and the scikit-learn peer reading the same
 * numbers) sees identical data.
 */
import { matrix, type Matrix } from '../../src/predict/matrix.js';
import type { Rng } from '../../src/util/random.js';

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
