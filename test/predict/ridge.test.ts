import { describe, expect, it } from 'vitest';
import { EpochgraphError } from '../../src/errors.js';
import { matrix, matrixFromRows, type Matrix } from '../../src/predict/matrix.js';
import { RidgeRegressor } from '../../src/predict/ridge.js';
import { createRng } from '../../src/util/random.js';
import { float64Bits, thrown } from '../helpers.js';

/** Features N(j, 1) scaled by 10^(j mod 3 - 1), and y = X beta + intercept + noise. */
function linear(n: number, p: number, beta: readonly number[], intercept: number, noise: number, seed: number): { X: Matrix; y: Float64Array } {
  const random = createRng(seed);
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = intercept + noise * random.normal();
    for (let j = 0; j < p; j++) {
      const x = 10 ** ((j % 3) - 1) * (random.normal() + j);
      data[i * p + j] = x;
      s += beta[j] * x;
    }
    y[i] = s;
  }
  return { X: matrix(data, n, p), y };
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A as rows; both modified). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const m = b.length;
  for (let k = 0; k < m; k++) {
    let pivot = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(A[i][k]) > Math.abs(A[pivot][k])) pivot = i;
    [A[k], A[pivot]] = [A[pivot], A[k]];
    [b[k], b[pivot]] = [b[pivot], b[k]];
    for (let i = k + 1; i < m; i++) {
      const f = A[i][k] / A[k][k];
      for (let j = k; j < m; j++) A[i][j] -= f * A[k][j];
      b[i] -= f * b[k];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < m; j++) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}

/**
 * Independent reference: features standardised with the statistics of all rows, then
 * [intercept, weights] minimising |y - b - Z w|^2 + alpha |w|^2 over rows `use`, by the
 * normal equations with an unpenalised intercept column.
 */
function reference(X: Matrix, y: Float64Array, alpha: number, use: number[]) {
  const { rows: n, cols: p } = X;
  const mean = Array.from({ length: p }, (_, j) => Array.from({ length: n }, (_, i) => X.data[i * p + j]).reduce((a, b) => a + b, 0) / n);
  const std = mean.map((m, j) => Math.sqrt(Array.from({ length: n }, (_, i) => (X.data[i * p + j] - m) ** 2).reduce((a, b) => a + b, 0) / n));
  const z = (i: number) => [1, ...mean.map((m, j) => (X.data[i * p + j] - m) / std[j])];
  const A = Array.from({ length: p + 1 }, () => new Array<number>(p + 1).fill(0));
  const b = new Array<number>(p + 1).fill(0);
  for (const i of use) {
    const row = z(i);
    for (let a = 0; a <= p; a++) {
      b[a] += row[a] * y[i];
      for (let c = 0; c <= p; c++) A[a][c] += row[a] * row[c];
    }
  }
  for (let a = 1; a <= p; a++) A[a][a] += alpha;
  const theta = gaussSolve(A, b);
  return { predict: (i: number) => z(i).reduce((s, v, a) => s + v * theta[a], 0), coef: theta.slice(1).map((w, j) => w / std[j]) };
}

function expectError(action: () => unknown, message: RegExp): void {
  const error = thrown(action);
  expect(error).toBeInstanceOf(EpochgraphError);
  expect((error as Error).message).toMatch(/^ridge: /);
  expect((error as Error).message).toMatch(message);
}


describe('RidgeRegressor', () => {
  it('recovers the coefficients of a noisy linear function over features of any scale', () => {
    const beta = [2, -1, 0.5, 3, -4, 0, 1, -2];
    // Noise 0.01 on 1000 rows: standard error of a coefficient at most 0.01 / (sqrt(1000) 0.1) = 0.003.
    const { X, y } = linear(1000, 8, beta, 3, 0.01, 1);
    const model = new RidgeRegressor().fit(X, y);
    const coef = model.coef;
    for (let j = 0; j < beta.length; j++) expect(Math.abs(coef[j] - beta[j])).toBeLessThan(0.012);
    expect(model.intercept).toBeCloseTo(3, 1);
    expect(model.alpha).toBe(1e-3); // low noise: least shrinkage wins
  });

  for (const [label, n, p] of [
    ['rows > features (primal)', 40, 6],
    ['rows < features (dual)', 12, 30],
  ] as const) {
    it(`has exact leave-one-out errors and solution, ${label}`, () => {
      const beta = Array.from({ length: p }, (_, j) => Math.sin(j + 1));
      const { X, y } = linear(n, p, beta, -1, 1, 2);
      const alphas = [0.01, 1, 100];
      const model = new RidgeRegressor({ alphas }).fit(X, y);
      const all = Array.from({ length: n }, (_, i) => i);
      alphas.forEach((alpha, k) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += (y[i] - reference(X, y, alpha, all.filter((r) => r !== i)).predict(i)) ** 2;
        expect(Math.abs(model.looMse[k] - sum / n)).toBeLessThan(1e-9 * (sum / n));
      });
      const best = alphas[model.looMse.indexOf(Math.min(...model.looMse))];
      expect(model.alpha).toBe(best);
      const fitted = reference(X, y, best, all);
      const predicted = model.predict(X);
      for (let i = 0; i < n; i++) expect(Math.abs(predicted[i] - fitted.predict(i))).toBeLessThan(1e-9 * (1 + Math.abs(predicted[i])));
    });
  }

  it('gives constant features weight 0', () => {
    const X = matrixFromRows([
      [1, 5],
      [2, 5],
      [3, 5],
      [4, 5],
    ]);
    const model = new RidgeRegressor({ alphas: [1e-6] }).fit(X, [2, 4, 6, 8]);
    expect(model.coef[1]).toBe(0);
    expect(model.coef[0]).toBeCloseTo(2, 4);
  });

  it('round-trips through JSON to bit-identical predictions', () => {
    const { X, y } = linear(60, 5, [1, 2, 3, 4, 5], 0.5, 0.3, 3);
    const model = new RidgeRegressor().fit(X, y);
    const loaded = RidgeRegressor.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(float64Bits(loaded.predict(X))).toEqual(float64Bits(model.predict(X)));
    expect(loaded.alpha).toBe(model.alpha);
    expect(float64Bits(loaded.looMse)).toEqual(float64Bits(model.looMse));
  });

  it('rejects missing values, bad targets, too few rows and bad options with ridge: errors', () => {
    const X = matrixFromRows([[1], [2], [3]]);
    expectError(() => new RidgeRegressor().fit(matrixFromRows([[1], [NaN], [3]]), [1, 2, 3]), /missing value \(NaN\) at row 1/);
    expectError(() => new RidgeRegressor().fit(X, [1, Infinity, 3]), /y\[1\] is Infinity/);
    expectError(() => new RidgeRegressor().fit(X, [1, 2]), /3 rows but y has 2/);
    expectError(() => new RidgeRegressor().fit(matrixFromRows([[1]]), [1]), /at least 2 rows/);
    expectError(() => new RidgeRegressor({ alphas: [] }), /non-empty/);
    expectError(() => new RidgeRegressor({ alphas: [1, -1] }), /positive/);
    expectError(() => new RidgeRegressor().predict(X), /not fitted/);
    expectError(() => new RidgeRegressor().fit(X, [1, 2, 3]).predict(matrixFromRows([[1, 2]])), /fitted on 1 features, X has 2/);
    expectError(() => RidgeRegressor.fromJSON({ estimator: 'ridge', format: 1, options: { alphas: [1] }, nFeatures: 2, weights: [1] }), /"mean"/);
  });
});
