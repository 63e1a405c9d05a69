import { describe, expect, it } from 'vitest';
import { choleskySolve, dot, symmetricEigen } from '../../src/predict/linalg.js';
import { createRng } from '../../src/util/random.js';

function randomSymmetric(m: number, seed: number): Float64Array {
  const random = createRng(seed);
  const A = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      const v = random.normal();
      A[i * m + j] = v;
      A[j * m + i] = v;
    }
  }
  return A;
}

/** Largest |A v - lambda v| over eigenpairs and largest |V V^T - I|. */
function eigenErrors(A: Float64Array, m: number): { residual: number; orthogonality: number } {
  const { values, vectors } = symmetricEigen(A, m);
  let residual = 0;
  let orthogonality = 0;
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) residual = Math.max(residual, Math.abs(dot(A, i * m, vectors, j * m, m) - values[j] * vectors[j * m + i]));
    for (let k = 0; k < m; k++) orthogonality = Math.max(orthogonality, Math.abs(dot(vectors, j * m, vectors, k * m, m) - (j === k ? 1 : 0)));
  }
  return { residual, orthogonality };
}

describe('symmetricEigen', () => {
  it('decomposes random symmetric matrices of every small size and a larger one', () => {
    for (const m of [1, 2, 3, 4, 7, 40]) {
      const { residual, orthogonality } = eigenErrors(randomSymmetric(m, m), m);
      expect(residual).toBeLessThan(1e-12 * m);
      expect(orthogonality).toBeLessThan(1e-12 * m);
    }
  });

  it('handles repeated eigenvalues, zero blocks and diagonal input', () => {
    const m = 6;
    const identity = new Float64Array(m * m).map((_, k) => (k % (m + 1) === 0 ? 1 : 0));
    expect(Array.from(symmetricEigen(identity, m).values)).toEqual([1, 1, 1, 1, 1, 1]);
    // Two decoupled blocks, one of them rank one (eigenvalue 0 repeated).
    const blocks = new Float64Array(m * m);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) blocks[i * m + j] = 1;
    for (let i = 3; i < m; i++) blocks[i * m + i] = i;
    const { residual, orthogonality } = eigenErrors(blocks, m);
    expect(residual).toBeLessThan(1e-13);
    expect(orthogonality).toBeLessThan(1e-13);
    const values = Array.from(symmetricEigen(blocks, m).values).sort((a, b) => a - b);
    [0, 0, 3, 3, 4, 5].forEach((expected, k) => expect(Math.abs(values[k] - expected)).toBeLessThan(1e-13));
  });
});

describe('choleskySolve', () => {
  it('solves a positive definite system and refuses an indefinite one', () => {
    const m = 5;
    const B = randomSymmetric(m, 9);
    const A = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) A[i * m + j] = dot(B, i * m, B, j * m, m) + (i === j ? 0.5 : 0);
    const b = Float64Array.from([1, -2, 3, 0.5, 4]);
    const x = choleskySolve(A, m, b)!;
    for (let i = 0; i < m; i++) expect(dot(A, i * m, x, 0, m)).toBeCloseTo(b[i], 10);
    expect(choleskySolve(Float64Array.from([1, 2, 2, 1]), 2, Float64Array.from([1, 1]))).toBeNull();
  });
});
