import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/errors.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { buildUnrolledGraph, estimateUnrolledSize } from '../../src/graph/unrolled.js';
import { edgeList, lenet5, LENET5_SPEC, loadFixture, maxRelDiff, tensor } from './fixtures.js';

describe('unrolled graph', () => {
  it('has 11,166 nodes and 658,024 edges for LeNet-5 on 3 x 32 x 32 (pooled positions are nodes)', () => {
    // conv1 6x28x28 x 75 taps + conv2 16x10x10 x 150 + pools 4704 + 1600 + dense 48,000 + 10,080 + 840
    expect(estimateUnrolledSize(lenet5(), { architecture: LENET5_SPEC })).toEqual({ nodes: 11_166, edges: 658_024 });
    const graph = buildUnrolledGraph(lenet5(), { architecture: LENET5_SPEC });
    expect(graph.kind).toBe('unrolled');
    expect(graph.nodeCount).toBe(11_166);
    expect(graph.edgeCount).toBe(658_024);
    expect(graph.layers.map((l) => [l.name, l.size, l.spatial])).toEqual([
      ['input', 3072, [32, 32]],
      ['conv1', 4704, [28, 28]],
      ['pool3', 1176, [14, 14]],
      ['conv2', 1600, [10, 10]],
      ['pool6', 400, [5, 5]],
      ['fc1', 120, null],
      ['fc2', 84, null],
      ['fc3', 10, null],
    ]);
  });

  it('matches the numpy unrolled edge list of the cnn fixture (padding, max pool, grouped conv, flatten)', async () => {
    const fixture = await loadFixture('cnn');
    const reference = fixture.unrolled!;
    const graph = buildUnrolledGraph(fixture.checkpoint, { architecture: fixture.spec });
    expect(graph.layers.map((l) => ({ name: l.name, offset: l.offset, size: l.size }))).toEqual(reference.layers);
    const edges = edgeList(graph);
    expect(edges.map(([s, t]) => [s, t])).toEqual(reference.edge_list.map(([s, t]) => [s, t]));
    expect(maxRelDiff(edges.map((e) => e[2]), reference.edge_list.map((e) => e[2]))).toBe(0);
  });

  it('equals the rolled graph for an MLP', () => {
    const mlp = [tensor('a.weight', [4, 3]), tensor('b.weight', [2, 4])];
    expect(edgeList(buildUnrolledGraph(mlp))).toEqual(edgeList(buildRolledGraph(mlp)));
  });

  it('weighs average-pool edges 1 / window area and adaptive ones 1 / window size', () => {
    const weights = [tensor('c.weight', [1, 1, 1, 1], () => 1), tensor('d.weight', [1, 1], () => 1)];
    const graph = buildUnrolledGraph(weights, {
      architecture: {
        format: 'epochgraph-architecture',
        version: 1,
        layers: [
          { type: 'input', channels: 1, size: [3, 3] },
          { type: 'conv', weight: 'c.weight' },
          { type: 'pool', name: 'avg', mode: 'avg', kernel: 2, stride: 1 },
          { type: 'pool', name: 'global', mode: 'avg', output: 1 },
          { type: 'flatten' },
          { type: 'dense', weight: 'd.weight' },
        ],
      },
    });
    const into = (name: string): number[] => {
      const layer = graph.layers.find((l) => l.name === name)!;
      return edgeList(graph)
        .filter(([, t]) => t >= layer.offset && t < layer.offset + layer.size)
        .map((e) => e[2]);
    };
    // 2x2 windows over 3x3 maps: 4 outputs x 4 inputs; then one window of 2x2.
    expect(into('avg')).toEqual(new Array(16).fill(0.25));
    expect(into('global')).toEqual(new Array(4).fill(0.25));
  });

  it('refuses graphs above the size limit, giving the estimated counts', () => {
    expect(() => buildUnrolledGraph(lenet5(), { architecture: LENET5_SPEC, maxEdges: 100_000 })).toThrow(
      'graph: the unrolled graph would have 11,166 nodes and 658,024 edges: too many edges, over the limit of 100,000 (raise it with the maxEdges option if the input is trusted)',
    );
    expect(() => buildUnrolledGraph(lenet5(), { architecture: LENET5_SPEC, maxNodes: 10_000 })).toThrow(LimitError);
    expect(() => buildUnrolledGraph(lenet5(), { architecture: LENET5_SPEC, maxNodes: 11_166, maxEdges: 658_024 })).not.toThrow();
  });

  it('needs spatial sizes, which inferred architectures do not have', () => {
    expect(() => buildUnrolledGraph(lenet5())).toThrow(/the unrolled graph needs spatial sizes: give the input layer a "size"/);
  });
});
