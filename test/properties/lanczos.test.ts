import { describe, expect, it } from 'vitest';
import { PropertyError } from '../../src/properties/errors.js';
import { largestEigenpair } from '../../src/properties/lanczos.js';

/** y = A x for a symmetric matrix given as undirected weighted edges. */
function operator(edges: [number, number, number][]): (x: Float64Array, y: Float64Array) => void {
  return (x, y) => {
    y.fill(0);
    for (const [u, v, w] of edges) {
      y[u] += w * x[v];
      y[v] += w * x[u];
    }
  };
}

const path = (n: number): [number, number, number][] => Array.from({ length: n - 1 }, (_, i) => [i, i + 1, 1]);

describe('Lanczos largest eigenpair', () => {
  it('finds the path graph eigenpair 2 cos(pi / (n + 1)), sin(pi j / (n + 1)), restarting when the basis is small', () => {
    const n = 60;
    const exact = Float64Array.from({ length: n }, (_, j) => Math.sin((Math.PI * (j + 1)) / (n + 1)));
    const norm = Math.hypot(...exact);
    for (const basisSize of [64, 12]) {
      const pair = largestEigenpair(n, operator(path(n)), { basisSize });
      expect(Math.abs(pair.value - 2 * Math.cos(Math.PI / (n + 1)))).toBeLessThan(1e-13);
      const sign = Math.sign(pair.vector[0]);
      for (let j = 0; j < n; j++) expect(Math.abs(sign * pair.vector[j] - exact[j] / norm)).toBeLessThan(1e-9);
      expect(pair.residual).toBeLessThanOrEqual(1e-12 * pair.value);
    }
  });

  it('returns +sqrt(m), not -sqrt(m), for a bipartite star', () => {
    const pair = largestEigenpair(10, operator(Array.from({ length: 9 }, (_, i) => [0, i + 1, 1])));
    expect(pair.value).toBeCloseTo(3, 14);
    expect(pair.products).toBeLessThanOrEqual(3);
  });

  it('picks the component with the larger radius and leaves the other at zero', () => {
    const edges: [number, number, number][] = [[0, 1, 1], [2, 3, 5], [3, 4, 5]];
    const pair = largestEigenpair(5, operator(edges));
    expect(pair.value).toBeCloseTo(5 * Math.SQRT2, 13);
    expect(Math.abs(pair.vector[0])).toBeLessThan(1e-12);
    expect(Math.abs(pair.vector[1])).toBeLessThan(1e-12);
  });

  it('returns 0 and the start vector for the zero operator', () => {
    const pair = largestEigenpair(4, (_, y) => y.fill(0));
    expect(pair.value).toBe(0);
    expect(Array.from(pair.vector)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(pair.products).toBe(1);
  });

  it('reports non-convergence and invalid options', () => {
    expect(() => largestEigenpair(200, operator(path(200)), { basisSize: 3, maxProducts: 6 })).toThrow(PropertyError);
    expect(() => largestEigenpair(200, operator(path(200)), { basisSize: 3, maxProducts: 6 })).toThrow(/^lanczos: did not converge in 6 products/);
    expect(() => largestEigenpair(3, operator(path(3)), { tolerance: 0 })).toThrow('lanczos: tolerance must be positive');
  });
});
