/**
 * What every estimator shares: the scikit-learn-like shape (`fit` returns the estimator,
 * `predict` returns one value per row, `toJSON` / static `fromJSON` save and load a fitted
 * model bit-exactly), the checks of input data, and the readers of saved models.
 */
import { PredictError } from './errors.js';
import type { Matrix } from './matrix.js';

/** A saved model: plain JSON with the estimator's name and the format version. */
export interface RegressorJson {
  readonly estimator: string;
  readonly format: number;
  readonly [key: string]: unknown;
}

/** A regression estimator. */
export interface Regressor {
  /** Fits to rows of `X` and targets `y`; returns the estimator. */
  fit(X: Matrix, y: ArrayLike<number>): this;
  /** Returns one prediction per row of `X`. */
  predict(X: Matrix): Float64Array;
  /** Returns the fitted model as JSON-serialisable data. */
  toJSON(): RegressorJson;
}

function checkShape(estimator: string, X: Matrix, allowMissing: boolean): void {
  if (X.data.length !== X.rows * X.cols) throw new PredictError(estimator, `X is ${X.rows} x ${X.cols} but holds ${X.data.length} values`);
  if (X.cols < 1) throw new PredictError(estimator, 'X has no feature columns');
  const { data } = X;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (v - v === 0) continue; // finite
    const where = `row ${Math.floor(k / X.cols)}, column ${k % X.cols}`;
    if (v !== v) {
      if (allowMissing) continue;
      throw new PredictError(estimator, `X has a missing value (NaN) at ${where}; impute it first`);
    }
    throw new PredictError(estimator, `X has an infinite value at ${where}; encode undefined features as NaN`);
  }
}

/**
 * Checks training data and returns a float64 copy of `y`. Throws `PredictError` for a shape
 * mismatch, fewer than `minRows` rows, a non-finite target, an infinite feature value, or a
 * NaN feature value when `allowMissing` is false.
 */
export function checkFitData(estimator: string, X: Matrix, y: ArrayLike<number>, minRows: number, allowMissing: boolean): Float64Array {
  checkShape(estimator, X, allowMissing);
  if (y.length !== X.rows) throw new PredictError(estimator, `X has ${X.rows} rows but y has ${y.length} values`);
  if (X.rows < minRows) throw new PredictError(estimator, `needs at least ${minRows} rows to fit, got ${X.rows}`);
  const target = Float64Array.from(y);
  for (let i = 0; i < target.length; i++) {
    if (!Number.isFinite(target[i])) throw new PredictError(estimator, `target y[${i}] is ${target[i]}; targets must be finite`);
  }
  return target;
}

/** Checks data to predict: `nFeatures` columns, no infinite value, NaN only if `allowMissing`. Throws `PredictError`. */
export function checkPredictData(estimator: string, X: Matrix, nFeatures: number, allowMissing: boolean): void {
  if (X.cols !== nFeatures) throw new PredictError(estimator, `model was fitted on ${nFeatures} features, X has ${X.cols}`);
  if (X.rows > 0) checkShape(estimator, X, allowMissing);
}

/** Returns `json` as a record after checking that it is a saved `estimator` model of `format`. Throws `PredictError`. */
export function readModel(estimator: string, format: number, json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PredictError(estimator, 'saved model is not a JSON object');
  const record = json as Record<string, unknown>;
  if (record.estimator !== estimator) throw new PredictError(estimator, `saved model is of estimator ${JSON.stringify(record.estimator)}, expected "${estimator}"`);
  if (record.format !== format) throw new PredictError(estimator, `saved model has format ${JSON.stringify(record.format)}, this version reads ${format}`);
  return record;
}

/** Returns the finite number at `record[key]`. Throws `PredictError` otherwise. */
export function readNumber(estimator: string, record: Record<string, unknown>, key: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PredictError(estimator, `saved model: "${key}" must be a finite number`);
  return value;
}

/**
 * Returns the array at `record[key]` as float64, `null` entries read as `nullValue` (JSON has
 * no infinities). Throws `PredictError` for anything else or a length other than `length`.
 */
export function readNumbers(estimator: string, record: Record<string, unknown>, key: string, length?: number, nullValue?: number): Float64Array {
  const value = record[key];
  const bad = () => new PredictError(estimator, `saved model: "${key}" must be an array of ${length ?? ''}${length === undefined ? '' : ' '}numbers`);
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) throw bad();
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v === 'number' && Number.isFinite(v)) out[i] = v;
    else if (v === null && nullValue !== undefined) out[i] = nullValue;
    else throw bad();
  }
  return out;
}
