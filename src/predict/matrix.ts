/**
 * The dense matrix every estimator takes: row-major float64, element (i, j) at
 * `data[i * cols + j]`, one row per sample (run) and one column per feature.
 */
import { PredictError } from './errors.js';

/** A row-major dense matrix. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Returns a matrix view of row-major `data` (not copied).
 * Throws `PredictError` when `data.length !== rows * cols` or a dimension is not a non-negative integer.
 */
export function matrix(data: Float64Array, rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new PredictError('matrix', `dimensions must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (data.length !== rows * cols) throw new PredictError('matrix', `${rows} x ${cols} needs ${rows * cols} values, got ${data.length}`);
  return { data, rows, cols };
}

/** Returns a new matrix holding a copy of `rows` (arrays of equal length). Throws `PredictError` on ragged rows. */
export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows.length > 0 ? rows[0].length : 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new PredictError('matrix', `row ${i} has ${row.length} values, row 0 has ${cols}`);
    data.set(row, i * cols);
  });
  return { data, rows: rows.length, cols };
}

/** Returns a new matrix made of the rows of `X` listed in `indices`, in that order. */
export function selectRows(X: Matrix, indices: ArrayLike<number>): Matrix {
  const data = new Float64Array(indices.length * X.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= X.rows) throw new PredictError('matrix', `row index ${i} outside 0..${X.rows - 1}`);
    data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), k * X.cols);
  }
  return { data, rows: indices.length, cols: X.cols };
}
