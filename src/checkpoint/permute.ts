/**
 * Axis permutation of row-major arrays: the one layout change the readers need (Keras'
 * `[in, out]` and `[kh, kw, in, out]` to PyTorch's, ONNX's `[in, out]` matrices, NumPy's
 * Fortran order, which is the C order of the reversed shape).
 */
import type { TensorData } from './tensor.js';

/**
 * Permutes the axes of a row-major array of `shape`: output axis k is input axis `axes[k]`.
 * Returns a new array of the same type, row-major in the permuted shape.
 */
export function permuteAxes<T extends TensorData>(data: T, shape: readonly number[], axes: readonly number[]): T {
  const rank = shape.length;
  const outShape = axes.map((a) => shape[a]);
  const inStrides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const strides = axes.map((a) => inStrides[a]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const source = data as unknown as number[];
  const target = out as unknown as number[];
  const index = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < data.length; i++) {
    target[i] = source[at];
    // Advance the output's multi-index (last axis fastest) and the matching input offset.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < outShape[d]) break;
      at -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
