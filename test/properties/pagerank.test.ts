import { describe, expect, it } from 'vitest';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { PropertyError } from '../../src/properties/errors.js';
import { pagerank } from '../../src/properties/pagerank.js';
import { maxAbsDiff, tensor } from '../graph/fixtures.js';

/** networkx's power iteration, run to convergence, on a dense weight matrix m[u][v] (edge u -> v). */
function powerIteration(m: number[][], alpha: number): Float64Array {
  const n = m.length;
  const out = m.map((row) => row.reduce((a, b) => a + b, 0));
  let x = new Float64Array(n).fill(1 / n);
  for (let iteration = 0; iteration < 10_000; iteration++) {
    const dangling = x.reduce((s, xi, u) => (out[u] === 0 ? s + xi : s), 0);
    const next = new Float64Array(n).fill((alpha * dangling + 1 - alpha) / n);
    for (let u = 0; u < n; u++) for (let v = 0; v < n; v++) if (m[u][v] > 0) next[v] += (alpha * x[u] * m[u][v]) / out[u];
    if (maxAbsDiff(next, x) < 1e-17) return next;
    x = next;
  }
  return x;
}

describe('PageRank', () => {
  const graph = buildRolledGraph([tensor('a.weight', [3, 2]), tensor('b.weight', [2, 3])]);
  const matrix = Array.from({ length: graph.nodeCount }, () => new Array<number>(graph.nodeCount).fill(0));
  graph.adjacency.forEachEdge((s, t, w) => (matrix[s][t] += w));

  it.each([0.85, 0.5, 1])("equals the limit of networkx's power iteration for alpha %s", (alpha) => {
    expect(maxAbsDiff(pagerank(graph, { alpha }), powerIteration(matrix, alpha))).toBeLessThan(1e-15);
  });

  it('matches the hand solution of one weighted edge', () => {
    // y = [1/2, 1/2 + 0.85/2], normalised
    const ranks = pagerank(buildRolledGraph([tensor('e.weight', [1, 1], () => 3)]));
    expect(ranks[0]).toBeCloseTo(0.5 / 1.425, 15);
    expect(ranks[1]).toBeCloseTo(0.925 / 1.425, 15);
  });

  it('is uniform for alpha 0', () => {
    expect(maxAbsDiff(pagerank(graph, { alpha: 0 }), new Array(graph.nodeCount).fill(1 / graph.nodeCount))).toBeLessThan(1e-16);
  });

  it('refuses alpha outside [0, 1]', () => {
    expect(() => pagerank(graph, { alpha: 1.5 })).toThrow(PropertyError);
    expect(() => pagerank(graph, { alpha: Number.NaN })).toThrow('pagerank: alpha must be in [0, 1], got NaN');
  });
});
