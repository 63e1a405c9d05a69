import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import { CsrAdjacency } from '../../src/graph/csr.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { buildUnrolledGraph } from '../../src/graph/unrolled.js';
import { GraphError } from '../../src/graph/errors.js';
import { updateStrength } from '../../src/properties/update-strength.js';
import { maxAbsDiff, tensor } from '../graph/fixtures.js';

/** Edge weights keyed by "source>target", from the graph's own edge list (order-free). */
function edgeMap(graph: Graph): Map<string, number> {
  const edges = new Map<string, number>();
  graph.adjacency.forEachEdge((s, t, w) => edges.set(`${s}>${t}`, w));
  return edges;
}

describe('update strength', () => {
  const net = (value: (i: number) => number) => [tensor('a.weight', [3, 2], value), tensor('b.weight', [2, 3], (i) => value(i + 7))];
  const earlier = buildRolledGraph(net((i) => Math.sin(i)));
  const later = buildRolledGraph(net((i) => Math.sin(i) + 0.1 * Math.cos(3 * i)));

  it('sums |later - earlier| over each node’s edges, in and out, beside the earlier strengths', () => {
    const a = edgeMap(earlier);
    const b = edgeMap(later);
    const n = later.nodeCount;
    const expected = { in: new Float64Array(n), out: new Float64Array(n), previousIn: new Float64Array(n), previousOut: new Float64Array(n) };
    for (const [key, w] of b) {
      const [s, t] = key.split('>').map(Number);
      const before = a.get(key) as number;
      expected.in[t] += Math.abs(w - before);
      expected.out[s] += Math.abs(w - before);
      expected.previousIn[t] += before;
      expected.previousOut[s] += before;
    }
    const update = updateStrength(earlier, later);
    for (const side of ['in', 'out', 'previousIn', 'previousOut'] as const) expect(maxAbsDiff(update[side], expected[side])).toBeLessThan(1e-15);
    expect(update.in[0]).toBe(0); // input nodes have no incoming edges
  });

  it('weighs a conv edge by the change of its kernel norm, as the rolled graph weighs it', () => {
    const conv = (scale: number) => buildRolledGraph([tensor('c.weight', [1, 1, 2, 2], (i) => scale * (i + 1))]);
    // Kernel [1, 2, 3, 4] has norm sqrt(30); doubled, 2 sqrt(30).
    const update = updateStrength(conv(1), conv(2));
    expect(update.in[1]).toBeCloseTo(Math.sqrt(30), 12);
    expect(update.previousOut[0]).toBeCloseTo(Math.sqrt(30), 12);
  });

  it('is zero between a snapshot and itself', () => {
    const update = updateStrength(earlier, earlier);
    expect(update.in.every((v) => v === 0) && update.out.every((v) => v === 0)).toBe(true);
  });

  it('gives the same values on the CSR path (unrolled graphs) as on the block path', () => {
    const unrolled = [buildUnrolledGraph(net((i) => Math.sin(i))), buildUnrolledGraph(net((i) => Math.sin(i) + 0.1 * Math.cos(3 * i)))];
    expect(unrolled[1].adjacency).toBeInstanceOf(CsrAdjacency);
    const csr = updateStrength(unrolled[0], unrolled[1]);
    const blocks = updateStrength(earlier, later);
    for (const side of ['in', 'out', 'previousIn', 'previousOut'] as const) expect(maxAbsDiff(csr[side], blocks[side])).toBeLessThan(1e-15);
    expect(() => updateStrength(earlier, unrolled[1])).toThrow(/^graph: update strengths: the earlier adjacency has a different edge structure/);
  });

  it('refuses snapshots of different structures', () => {
    const wider = buildRolledGraph([tensor('a.weight', [4, 2]), tensor('b.weight', [2, 4])]);
    expect(() => updateStrength(earlier, wider)).toThrow(GraphError);
    expect(() => updateStrength(earlier, wider)).toThrow(/^graph: update strengths: the earlier adjacency has a different block structure/);
  });
});
