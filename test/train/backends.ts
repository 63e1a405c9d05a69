/**
 * Comparing the wasm backend with the training kernels against tfjs's reference `cpu`
 * backend, on deterministic random inputs.
 *
 * Tolerance: float32 results computed in a different summation order (blocked SIMD
 * accumulation versus the cpu backend's sequential loops) agree to within
 * 1e-4 x max(1, largest magnitude of the cpu result) per element.
 */
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

/** Relative tolerance of a wasm result against cpu. */
export const TOLERANCE = 1e-4;

/** Deterministic pseudo-random values in [-1, 1). */
export function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** A tensor's shape and values, to be created afresh on each backend. */
export interface Input {
  shape: number[];
  values: Float32Array;
}

/** Random values of `shape` from `seed`. */
export function input(shape: number[], seed: number): Input {
  return { shape, values: randomValues(shape.reduce((a, b) => a * b, 1), seed) };
}

/** Runs `f` on fresh copies of the inputs on `backend`; returns the outputs' values. */
export async function runOn(backend: string, inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    return f(...xs).map((t) => t.dataSync() as Float32Array);
  });
}

/**
 * Asserts that `f` on wasm gives the same shapes and values as `reference` (by default
 * `f` itself) on cpu. A different reference checks an epochgraph op, which has no cpu
 * kernel, against its composition from tfjs ops.
 */
export async function expectSameAsCpu(
  inputs: Input[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
  label: string,
  reference: (...xs: tf.Tensor[]) => tf.Tensor[] = f,
): Promise<void> {
  const expected = await runOn('cpu', inputs, reference);
  const actual = await runOn('wasm', inputs, f);
  expect(actual.length, label).toBe(expected.length);
  expected.forEach((e, k) => {
    expect(actual[k].length, `${label} output ${k} size`).toBe(e.length);
    let scale = 1;
    for (const v of e) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let i = 0; i < e.length; i++) {
      const d = Math.abs(actual[k][i] - e[i]);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
    expect(worst, `${label} output ${k}: max |wasm - cpu| (scale ${scale})`).toBeLessThanOrEqual(TOLERANCE * scale);
  });
}

/** The value of f and the gradient of sum(f * w) for a fixed random w, w.r.t. every input. */
export function withGradients(f: (...xs: tf.Tensor[]) => tf.Tensor, seed: number): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const y = f(...xs);
    const w = tf.tensor(randomValues(y.size, seed), y.shape);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs);
    return [y, ...grads];
  };
}

