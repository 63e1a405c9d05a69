import { describe, expect, it } from 'vitest';
import { BlockAdjacency } from '../../src/graph/blocks.js';
import type { BlockShape, Precision } from '../../src/graph/blocks.js';
import { CsrAdjacency } from '../../src/graph/csr.js';
import type { Adjacency, GraphLayer } from '../../src/graph/graph.js';
import { maxRelDiff } from './fixtures.js';

function layers(sizes: number[]): GraphLayer[] {
  let offset = 0;
  return sizes.map((size, k) => {
    const layer: GraphLayer = { name: `l${k}`, kind: k === 0 ? 'input' : 'dense', offset, size, channels: size, spatial: null, bias: null, parameters: [] };
    offset += size;
    return layer;
  });
}

/** A block chain with deterministic positive weights, and the same graph as CSR. */
function chain(sizes: number[], shapes: Omit<BlockShape, 'tensor'>[], precision: Precision): { blocks: BlockAdjacency; csr: CsrAdjacency } {
  const ls = layers(sizes);
  const blocks = new BlockAdjacency(ls, shapes.map((s) => ({ tensor: 'w', ...s })), precision);
  let seed = 7;
  for (const b of blocks.blocks) {
    for (let e = 0; e < b.weights.length; e++) {
      seed = (seed * 16807) % 2147483647;
      b.weights[e] = seed / 2147483647;
    }
  }
  const n = blocks.nodeCount;
  const incoming: [number, number][][] = Array.from({ length: n }, () => []);
  blocks.forEachEdge((s, t, w) => incoming[t].push([s, w]));
  const start = new Float64Array(n + 1);
  const sources: number[] = [];
  const weights: number[] = [];
  incoming.forEach((edges, v) => {
    for (const [s, w] of edges) {
      sources.push(s);
      weights.push(w);
    }
    start[v + 1] = sources.length;
  });
  return { blocks, csr: new CsrAdjacency(start, Int32Array.from(sources), Float64Array.from(weights)) };
}

/** Plain dense-matrix reference of every product. */
function reference(a: Adjacency) {
  const n = a.nodeCount;
  const m = Array.from({ length: n }, () => new Float64Array(n));
  a.forEachEdge((s, t, w) => (m[s][t] += w));
  return {
    symmetric(x: Float64Array): Float64Array {
      const y = new Float64Array(n);
      for (let u = 0; u < n; u++) for (let v = 0; v < n; v++) y[u] += (m[u][v] + m[v][u]) * x[v];
      return y;
    },
    propagate(base: Float64Array, scale: Float64Array): Float64Array {
      const y = Float64Array.from(base);
      for (let v = 0; v < n; v++) for (let u = 0; u < v; u++) y[v] += m[u][v] * scale[u] * y[u];
      return y;
    },
    in: Float64Array.from({ length: n }, (_, v) => m.reduce((s, row) => s + row[v], 0)),
    out: Float64Array.from({ length: n }, (_, u) => m[u].reduce((s, w) => s + w, 0)),
  };
}

describe.each(['float64', 'float32'] as const)('block products (%s weights)', (precision) => {
  // Odd and even rows and columns, a grouped block, a diagonal, and a block skipping a layer.
  const sizes = [7, 5, 6, 6, 1];
  const shapes = [
    { from: 0, to: 1, groups: 1, rows: 5, cols: 7 },
    { from: 1, to: 2, groups: 1, rows: 6, cols: 5 },
    { from: 2, to: 3, groups: 2, rows: 3, cols: 3 },
    { from: 2, to: 3, groups: 6, rows: 1, cols: 1 },
    { from: 1, to: 4, groups: 1, rows: 1, cols: 5 },
    { from: 3, to: 4, groups: 1, rows: 1, cols: 6 },
  ];
  const { blocks, csr } = chain(sizes, shapes, precision);
  const expected = reference(blocks);
  const n = blocks.nodeCount;
  const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i) + 0.1 * i);

  it('count edges and bytes', () => {
    expect(blocks.edgeCount).toBe(35 + 30 + 18 + 6 + 5 + 6);
    expect(blocks.productBytes).toBe(blocks.edgeCount * (precision === 'float64' ? 8 : 4) + 3 * 8 * n);
  });

  for (const [name, a] of [
    ['blocks', blocks],
    ['CSR', csr],
  ] as const) {
    it(`${name}: symmetric product, strengths and the topological sweep match a dense reference`, () => {
      const y = new Float64Array(n);
      a.symmetricProduct(x, y);
      expect(maxRelDiff(y, expected.symmetric(x), 1e-300)).toBeLessThan(1e-14);
      const s = a.strengths();
      expect(maxRelDiff(s.in, expected.in)).toBeLessThan(1e-14);
      expect(maxRelDiff(s.out, expected.out)).toBeLessThan(1e-14);
      const scale = Float64Array.from({ length: n }, (_, i) => 0.5 / (i + 1));
      expect(maxRelDiff(a.propagate(x.map(Math.abs), scale), expected.propagate(x.map(Math.abs), scale))).toBeLessThan(1e-14);
    });
  }

  it('lists each edge once, into a target range on request', () => {
    let count = 0;
    blocks.forEachEdge(() => count++);
    expect(count).toBe(blocks.edgeCount);
    const targets = new Set<number>();
    blocks.forEachEdge((_, t) => targets.add(t), 14, 20);
    expect([...targets].sort((p, q) => p - q)).toEqual([14, 15, 16, 17, 18, 19]);
  });
});
