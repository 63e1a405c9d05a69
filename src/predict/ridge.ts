/**
 * Ridge regression on standardised features with the penalty chosen by exact
 * leave-one-out cross-validation over a grid, like scikit-learn's `RidgeCV`.
 *
 * Features are centred and scaled to unit variance (constant features get weight 0), the
 * target centred; the intercept is the target mean and is not penalised. For a penalty
 * alpha the weights solve (Z^T Z + alpha I) w = Z^T y by Cholesky, or, with fewer rows
 * than features, the n x n dual (Z Z^T + alpha I) a = y with w = Z^T a.
 *
 * Choosing alpha: the model is a linear smoother, y_hat = H y with
 * H = 11^T / n + Z (Z^T Z + alpha I)^{-1} Z^T, so its leave-one-out residual is exactly
 * (y_i - y_hat_i) / (1 - H_ii). One eigendecomposition of Z^T Z (or of Z Z^T when rows <
 * features) gives y_hat and diag(H) for every alpha of the grid in O(n p) each
 * (Rifkin & Lippert 2007); the alpha of least mean squared leave-one-out error wins
 * (the first on ties).
 *
 * References:
 * - A. E. Hoerl, R. W. Kennard, Ridge regression: biased estimation for nonorthogonal
 *   problems, Technometrics 12 (1970) 55-67.
 * - R. M. Rifkin, R. A. Lippert, Notes on regularized least squares, MIT-CSAIL-TR-2007-025.
 * - G. H. Golub, M. Heath, G. Wahba, Generalized cross-validation as a method for choosing a
 *   good ridge parameter, Technometrics 21 (1979) 215-223.
 */
import { PredictError } from './errors.js';
import { choleskySolve, dot, symmetricEigen } from './linalg.js';
import type { Matrix } from './matrix.js';
import { checkFitData, checkPredictData, readModel, readNumber, readNumbers, type Regressor, type RegressorJson } from './regressor.js';

/** Options of `RidgeRegressor`. */
export interface RidgeOptions {
  /** Penalties to choose from by leave-one-out error (positive); a single value is used as is. */
  readonly alphas: readonly number[];
}

/** Defaults of `RidgeOptions`: alphas 10^-3, 10^-2.5, ..., 10^5 (features are standardised, so X^T X has diagonal n). */
export const DEFAULTS: Readonly<RidgeOptions> = Object.freeze({
  alphas: Array.from({ length: 17 }, (_, k) => 10 ** (-3 + k / 2)),
});

interface RidgeModel {
  readonly nFeatures: number;
  readonly mean: Float64Array;
  /** Standard deviation of each feature (1 for constant features). */
  readonly scale: Float64Array;
  /** Weights of the standardised features. */
  readonly weights: Float64Array;
  readonly yMean: number;
  readonly alpha: number;
  readonly looMse: Float64Array;
}

const FORMAT = 1;

/** Ridge regression with leave-one-out choice of the penalty (see the module header). */
export class RidgeRegressor implements Regressor {
  /** Options in effect (defaults filled in). */
  readonly options: RidgeOptions;
  #model: RidgeModel | null = null;

  /** Throws `PredictError` for an empty grid or a penalty that is not positive and finite. */
  constructor(options: Partial<RidgeOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    const { alphas } = this.options;
    if (!Array.isArray(alphas) || alphas.length === 0) throw new PredictError('ridge', 'alphas must be a non-empty array');
    for (const alpha of alphas) {
      if (typeof alpha !== 'number' || !(alpha > 0 && Number.isFinite(alpha))) throw new PredictError('ridge', `alphas must be positive and finite, got ${String(alpha)}`);
    }
  }

  #fitted(): RidgeModel {
    if (!this.#model) throw new PredictError('ridge', 'model is not fitted; call fit() first');
    return this.#model;
  }

  /** The penalty in effect (chosen from `alphas`). */
  get alpha(): number {
    return this.#fitted().alpha;
  }

  /** Mean squared leave-one-out error of each of `alphas` (empty when a single alpha was given). */
  get looMse(): Float64Array {
    return this.#fitted().looMse.slice();
  }

  /** Coefficients in the units of the original features. */
  get coef(): Float64Array {
    const { weights, scale } = this.#fitted();
    return weights.map((w, j) => w / scale[j]);
  }

  /** Intercept in the units of the original features. */
  get intercept(): number {
    const { weights, scale, mean, yMean } = this.#fitted();
    let intercept = yMean;
    for (let j = 0; j < weights.length; j++) intercept -= (mean[j] * weights[j]) / scale[j];
    return intercept;
  }

  /**
   * Fits to `X` and `y`; returns this. Throws `PredictError` for mismatched shapes, missing or
   * infinite values, non-finite targets, or fewer than 2 rows.
   */
  fit(X: Matrix, y: ArrayLike<number>): this {
    const target = checkFitData('ridge', X, y, 2, false);
    const { rows: n, cols: p, data } = X;
    const mean = new Float64Array(p);
    const scale = new Float64Array(p).fill(1);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += data[i * p + j];
    for (let j = 0; j < p; j++) mean[j] /= n;
    const variance = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const d = data[i * p + j] - mean[j];
        variance[j] += d * d;
      }
    }
    // A feature varying only by rounding is constant: its column of Z is exactly 0.
    const constant = new Uint8Array(p);
    for (let j = 0; j < p; j++) {
      const std = Math.sqrt(variance[j] / n);
      if (std > 1e-12 * Math.max(Math.abs(mean[j]), 1e-300)) scale[j] = std;
      else constant[j] = 1;
    }
    const Z = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) if (!constant[j]) Z[i * p + j] = (data[i * p + j] - mean[j]) / scale[j];
    }
    let yMean = 0;
    for (let i = 0; i < n; i++) yMean += target[i];
    yMean /= n;
    const yc = target.map((v) => v - yMean);

    const dual = n < p;
    const gram = dual ? outerGram(Z, n, p) : innerGram(Z, n, p);
    const m = dual ? n : p;
    const { alphas } = this.options;
    let alpha = alphas[0];
    let looMse: Float64Array = new Float64Array(0);
    if (alphas.length > 1) {
      looMse = dual ? looDual(gram, n, yc, alphas) : looPrimal(gram, Z, n, p, yc, alphas);
      let best = 0;
      for (let k = 1; k < alphas.length; k++) if (looMse[k] < looMse[best]) best = k;
      alpha = alphas[best];
    }
    for (let i = 0; i < m; i++) gram[i * m + i] += alpha;
    let weights: Float64Array;
    if (dual) {
      const a = choleskySolve(gram, n, yc);
      if (!a) throw notDefinite(alpha);
      weights = new Float64Array(p);
      for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) weights[j] += Z[i * p + j] * a[i];
    } else {
      const rhs = new Float64Array(p);
      for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) rhs[j] += Z[i * p + j] * yc[i];
      const w = choleskySolve(gram, p, rhs);
      if (!w) throw notDefinite(alpha);
      weights = w;
    }
    // + 0 turns -0 into 0, which JSON keeps.
    this.#model = { nFeatures: p, mean, scale, weights: weights.map((w) => w + 0), yMean, alpha, looMse };
    return this;
  }

  /** Returns the prediction for each row of `X`. Throws `PredictError` if unfitted, for a wrong number of columns, or for missing values. */
  predict(X: Matrix): Float64Array {
    const { nFeatures: p, mean, scale, weights, yMean } = this.#fitted();
    checkPredictData('ridge', X, p, false);
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let s = yMean;
      for (let j = 0; j < p; j++) s += ((X.data[i * p + j] - mean[j]) / scale[j]) * weights[j];
      out[i] = s;
    }
    return out;
  }

  /** Returns the fitted model as JSON data. Throws `PredictError` if unfitted. */
  toJSON(): RegressorJson {
    const model = this.#fitted();
    return {
      estimator: 'ridge',
      format: FORMAT,
      options: { alphas: [...this.options.alphas] },
      nFeatures: model.nFeatures,
      alpha: model.alpha,
      yMean: model.yMean,
      mean: Array.from(model.mean),
      scale: Array.from(model.scale),
      weights: Array.from(model.weights),
      looMse: Array.from(model.looMse),
    };
  }

  /** Returns the model saved by `toJSON`, predicting bit-identically. Throws `PredictError` for malformed data. */
  static fromJSON(json: unknown): RidgeRegressor {
    const record = readModel('ridge', FORMAT, json);
    const options = record.options as Record<string, unknown> | null;
    if (typeof options !== 'object' || options === null) throw new PredictError('ridge', 'saved model: "options" must be an object');
    const alphas = Array.from(readNumbers('ridge', options, 'alphas'));
    const model = new RidgeRegressor({ alphas });
    const nFeatures = readNumber('ridge', record, 'nFeatures');
    if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new PredictError('ridge', 'saved model: "nFeatures" must be a positive integer');
    model.#model = {
      nFeatures,
      mean: readNumbers('ridge', record, 'mean', nFeatures),
      scale: readNumbers('ridge', record, 'scale', nFeatures),
      weights: readNumbers('ridge', record, 'weights', nFeatures),
      yMean: readNumber('ridge', record, 'yMean'),
      alpha: readNumber('ridge', record, 'alpha'),
      looMse: readNumbers('ridge', record, 'looMse'),
    };
    return model;
  }
}

function notDefinite(alpha: number): PredictError {
  return new PredictError('ridge', `the ridge system is not numerically positive definite at alpha ${alpha}; use a larger alpha`);
}

/** Returns Z^T Z (p x p, row-major, both triangles) of row-major Z (n x p). */
function innerGram(Z: Float64Array, n: number, p: number): Float64Array {
  // Columns of Z made contiguous, so that each entry is one dot product.
  const columns = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) columns[j * n + i] = Z[i * p + j];
  return symmetricProducts(columns, p, n);
}

/** Returns Z Z^T (n x n, row-major, both triangles) of row-major Z (n x p). */
function outerGram(Z: Float64Array, n: number, p: number): Float64Array {
  return symmetricProducts(Z, n, p);
}

/** Returns the m x m matrix of dot products between the m contiguous vectors of `length` in `vectors`. */
function symmetricProducts(vectors: Float64Array, m: number, length: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b <= a; b++) {
      const s = dot(vectors, a * length, vectors, b * length, length);
      out[a * m + b] = s;
      out[b * m + a] = s;
    }
  }
  return out;
}

/**
 * Mean squared leave-one-out error for each alpha, from Z^T Z = V diag(s) V^T: with
 * U = Z V and c = U^T y, y_hat_i = sum_j U_ij c_j / (s_j + alpha) and
 * H_ii = 1/n + sum_j U_ij^2 / (s_j + alpha).
 */
function looPrimal(gram: Float64Array, Z: Float64Array, n: number, p: number, yc: Float64Array, alphas: readonly number[]): Float64Array {
  const { values, vectors } = symmetricEigen(gram, p);
  const U = new Float64Array(n * p);
  const c = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const s = dot(Z, i * p, vectors, j * p, p);
      U[i * p + j] = s;
      c[j] += s * yc[i];
    }
  }
  const inverse = new Float64Array(p);
  return Float64Array.from(alphas, (alpha) => {
    for (let j = 0; j < p; j++) inverse[j] = 1 / (Math.max(values[j], 0) + alpha);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let fitted = 0;
      let leverage = 1 / n;
      for (let j = 0; j < p; j++) {
        const u = U[i * p + j];
        fitted += u * c[j] * inverse[j];
        leverage += u * u * inverse[j];
      }
      const residual = (yc[i] - fitted) / (1 - leverage);
      sum += residual * residual;
    }
    return sum / n;
  });
}

/**
 * Mean squared leave-one-out error for each alpha, from Z Z^T = Q diag(s) Q^T: with
 * c = Q^T y and f_j = s_j / (s_j + alpha), y_hat_i = sum_j Q_ij c_j f_j and
 * H_ii = 1/n + sum_j Q_ij^2 f_j.
 */
function looDual(gram: Float64Array, n: number, yc: Float64Array, alphas: readonly number[]): Float64Array {
  const { values, vectors } = symmetricEigen(gram, n);
  const c = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    c[j] = dot(vectors, j * n, yc, 0, n);
  }
  const fitted = new Float64Array(n);
  const leverage = new Float64Array(n);
  return Float64Array.from(alphas, (alpha) => {
    fitted.fill(0);
    leverage.fill(1 / n);
    for (let j = 0; j < n; j++) {
      const s = Math.max(values[j], 0);
      const f = s / (s + alpha);
      const row = j * n;
      const cf = c[j] * f;
      for (let i = 0; i < n; i++) {
        const q = vectors[row + i];
        fitted[i] += q * cf;
        leverage[i] += q * q * f;
      }
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const residual = (yc[i] - fitted[i]) / (1 - leverage[i]);
      sum += residual * residual;
    }
    return sum / n;
  });
}
