/**
 * Mean imputation in front of a regressor that cannot take missing values (ridge): NaN
 * features are replaced by their training mean (0 for a column missing everywhere), the
 * means being learned in `fit` and saved with the model.
 */
import { PredictError } from './errors.js';
import type { Matrix } from './matrix.js';
import type { Regressor, RegressorJson } from './regressor.js';
import { RidgeRegressor } from './ridge.js';

/** Column means over non-missing values (0 where a column has none). */
function columnMeans(X: Matrix): Float64Array {
  const sums = new Float64Array(X.cols);
  const counts = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < X.cols; j++) {
      const v = X.data[i * X.cols + j];
      if (v === v) {
        sums[j] += v;
        counts[j]++;
      }
    }
  }
  return sums.map((s, j) => (counts[j] > 0 ? s / counts[j] : 0));
}

function filled(X: Matrix, means: Float64Array): Matrix {
  const data = Float64Array.from(X.data);
  for (let k = 0; k < data.length; k++) if (data[k] !== data[k]) data[k] = means[k % X.cols];
  return { data, rows: X.rows, cols: X.cols };
}

/** Ridge regression on mean-imputed features. */
export class ImputedRidge implements Regressor {
  #means: Float64Array | null = null;
  readonly ridge: RidgeRegressor;

  constructor(ridge = new RidgeRegressor()) {
    this.ridge = ridge;
  }

  /** Learns the column means, then fits ridge on the imputed rows; returns this. */
  fit(X: Matrix, y: ArrayLike<number>): this {
    this.#means = columnMeans(X);
    this.ridge.fit(filled(X, this.#means), y);
    return this;
  }

  /** Returns one prediction per row, missing values imputed with the training means. */
  predict(X: Matrix): Float64Array {
    if (!this.#means) throw new PredictError('impute', 'model is not fitted; call fit() first');
    if (X.cols !== this.#means.length) throw new PredictError('impute', `X has ${X.cols} columns, the model ${this.#means.length}`);
    return this.ridge.predict(filled(X, this.#means));
  }

  /** Returns the means and the ridge model as JSON data. */
  toJSON(): RegressorJson {
    if (!this.#means) throw new PredictError('impute', 'model is not fitted; call fit() first');
    return { estimator: 'imputed-ridge', format: 1, means: Array.from(this.#means), ridge: this.ridge.toJSON() };
  }

  /** Restores a model saved by `toJSON`. Throws `PredictError` for malformed data. */
  static fromJSON(json: RegressorJson): ImputedRidge {
    if (typeof json !== 'object' || json === null || json.estimator !== 'imputed-ridge' || !Array.isArray(json.means)) throw new PredictError('impute', 'not an imputed-ridge model');
    const model = new ImputedRidge(RidgeRegressor.fromJSON(json.ridge));
    model.#means = Float64Array.from(json.means as number[]);
    return model;
  }
}
