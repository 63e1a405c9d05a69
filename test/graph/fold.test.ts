import { describe, expect, it } from 'vitest';
import type { ArchitectureSpec, LayerSpec } from '../../src/graph/architecture.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { edgeList, tensor } from './fixtures.js';

function spec(layers: LayerSpec[]): ArchitectureSpec {
  return { format: 'epochgraph-architecture', version: 1, layers };
}

const constant = (values: number[]) => (i: number) => values[i];

describe('batch-norm folding', () => {
  const weights = [
    tensor('c.weight', [1, 1, 1, 2], constant([3, 4])),
    tensor('c.bias', [1], constant([1])),
    tensor('n.weight', [1], constant([-2])),
    tensor('n.bias', [1], constant([0.5])),
    tensor('n.running_mean', [1], constant([3])),
    tensor('n.running_var', [1], constant([15])),
    tensor('d.weight', [1, 1], constant([-7])),
  ];
  const layers: LayerSpec[] = [
    { type: 'input', channels: 1 },
    { type: 'conv', name: 'c', weight: 'c.weight', bias: 'c.bias' },
    { type: 'batchnorm', weight: 'n.weight', bias: 'n.bias', running_mean: 'n.running_mean', running_var: 'n.running_var', eps: 1 },
    { type: 'activation' },
    { type: 'flatten' },
    { type: 'dense', name: 'd', weight: 'd.weight' },
  ];

  it('scales the preceding conv channel by |gamma| / sqrt(var + eps) and folds the shift into its bias', () => {
    const graph = buildRolledGraph(weights, { architecture: spec(layers) });
    // |[3, 4]| = 5, times |-2| / sqrt(15 + 1) = 0.5; the dense edge keeps |-7|.
    expect(edgeList(graph)).toEqual([
      [0, 1, 2.5],
      [1, 2, 7],
    ]);
    // s (b - mean) + beta = -0.5 (1 - 3) + 0.5
    expect(Array.from(graph.layers[1].bias!)).toEqual([1.5]);
  });

  it('can be disabled', () => {
    const graph = buildRolledGraph(weights, { architecture: spec(layers), foldBatchNorm: false });
    expect(edgeList(graph)).toEqual([
      [0, 1, 5],
      [1, 2, 7],
    ]);
    expect(Array.from(graph.layers[1].bias!)).toEqual([1]);
  });

  it('folds into the following layer when its input is also read elsewhere (pre-activation)', () => {
    const pre = [
      tensor('a.weight', [2, 2, 1, 1], () => 1),
      tensor('p.weight', [2], constant([1, -3])),
      tensor('p.running_var', [2], constant([3, 8])),
      tensor('b.weight', [2, 2, 1, 1], () => 2),
    ];
    const graph = buildRolledGraph(pre, {
      architecture: spec([
        { type: 'input', channels: 2 },
        { type: 'conv', name: 'a', weight: 'a.weight' },
        { type: 'batchnorm', name: 'p', input: 'a', weight: 'p.weight', running_var: 'p.running_var', eps: 1 },
        { type: 'conv', name: 'b', weight: 'b.weight' },
        { type: 'add', inputs: ['b', 'a'] },
      ]),
    });
    // |s| = [1 / 2, 3 / 3]; b's edges from a's channels: 2 * 0.5 and 2 * 1; a's edges unscaled.
    expect(edgeList(graph)).toEqual([
      [0, 2, 1],
      [1, 2, 1],
      [0, 3, 1],
      [1, 3, 1],
      [2, 4, 1],
      [3, 4, 2],
      [2, 4, 1],
      [2, 5, 1],
      [3, 5, 2],
      [3, 5, 1],
    ].sort((x, y) => x[1] - y[1] || x[0] - y[0]));
  });
});

describe('residual connections', () => {
  it('join each channel of the block input to the same channel of the block output with weight 1', () => {
    const graph = buildRolledGraph([tensor('a.weight', [2, 2, 1, 1], () => 3), tensor('b.weight', [2, 2, 1, 1], () => 5)], {
      architecture: spec([
        { type: 'input', channels: 2 },
        { type: 'conv', name: 'a', weight: 'a.weight' },
        { type: 'activation' },
        { type: 'conv', name: 'b', weight: 'b.weight' },
        { type: 'add', name: 'sum', inputs: ['b', 'activation2'] },
      ]),
    });
    expect(graph.layers.map((l) => [l.name, l.size])).toEqual([
      ['input', 2],
      ['a', 2],
      ['b', 2],
    ]);
    expect(graph.edgeCount).toBe(4 + 4 + 2);
    expect(edgeList(graph).filter((e) => e[2] === 1)).toEqual([
      [2, 4, 1],
      [3, 5, 1],
    ]);
  });

  it('point a projection shortcut conv at the block output nodes', () => {
    const graph = buildRolledGraph(
      [tensor('c1.weight', [2, 2, 1, 1], () => 1), tensor('c2.weight', [3, 2, 1, 1], () => 2), tensor('d.weight', [3, 2, 1, 1], (i) => -(i + 1))],
      {
        architecture: spec([
          { type: 'input', name: 'x', channels: 2 },
          { type: 'conv', name: 'c1', weight: 'c1.weight' },
          { type: 'conv', name: 'c2', weight: 'c2.weight' },
          { type: 'conv', name: 'd', input: 'x', weight: 'd.weight' },
          { type: 'add', inputs: ['c2', 'd'] },
        ]),
      },
    );
    expect(graph.layers.map((l) => [l.name, l.size, l.parameters])).toEqual([
      ['x', 2, []],
      ['c1', 2, ['c1.weight']],
      ['c2', 3, ['c2.weight', 'd.weight']],
    ]);
    // Projection edges x_j -> c2_i weigh |d[i, j]|.
    expect(edgeList(graph).filter(([s, t]) => s < 2 && t >= 4)).toEqual([
      [0, 4, 1],
      [1, 4, 2],
      [0, 5, 3],
      [1, 5, 4],
      [0, 6, 5],
      [1, 6, 6],
    ]);
  });

  it('fold a batch-norm after the addition into every branch', () => {
    const graph = buildRolledGraph(
      [tensor('a.weight', [1, 1, 1, 1], () => 1), tensor('b.weight', [1, 1, 1, 1], () => 1), tensor('n.running_var', [1], () => 3)],
      {
        architecture: spec([
          { type: 'input', channels: 1 },
          { type: 'conv', name: 'a', weight: 'a.weight' },
          { type: 'conv', name: 'b', weight: 'b.weight' },
          { type: 'add', name: 'sum', inputs: ['b', 'a'] },
          { type: 'batchnorm', running_var: 'n.running_var', eps: 1 },
        ]),
      },
    );
    expect(edgeList(graph)).toEqual([
      [0, 1, 1],
      [1, 2, 0.5],
      [1, 2, 0.5],
    ]);
  });

  it('get nodes of their own when no branch ends in a layer of its own; a later add merges into them', () => {
    const graph = buildRolledGraph([tensor('a.weight', [2, 2, 1, 1], () => 1)], {
      architecture: spec([
        { type: 'input', name: 'x', channels: 2 },
        { type: 'conv', name: 'a', weight: 'a.weight' },
        { type: 'activation', name: 'r' },
        { type: 'add', name: 'sum', inputs: ['a', 'x'] },
        { type: 'add', name: 'again', inputs: ['sum', 'r'] },
      ]),
    });
    expect(graph.layers.map((l) => [l.name, l.kind])).toEqual([
      ['x', 'input'],
      ['a', 'conv'],
      ['sum', 'add'],
    ]);
  });
});
