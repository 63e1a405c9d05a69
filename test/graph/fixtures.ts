/**
 * Loads the graph fixtures of test/fixtures/graph (made by scripts/make-graph-fixtures.py):
 * weights as safetensors, reference values computed with numpy, scipy and networkx.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import type { Tensor } from '../../src/checkpoint/tensor.js';
import type { ArchitectureSpec } from '../../src/graph/architecture.js';
import type { Graph } from '../../src/graph/graph.js';

export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'graph');

/** Reference values of one graph of a fixture. */
export interface Reference {
  nodes: number;
  edges: number;
  layers: { name: string; offset: number; size: number }[];
  edge_list: [number, number, number][];
  strength_in: number[];
  strength_out: number[];
  strength: number[];
  eigenvalue: number;
  eigenvector: number[];
  pagerank: number[];
}

export interface Fixture {
  checkpoint: Checkpoint;
  spec?: ArchitectureSpec;
  rolled: Reference;
  unrolled?: Reference;
  rolled_no_fold?: Reference;
}

export const FIXTURE_NAMES = ['mlp', 'cnn', 'resnet'] as const;

export async function loadFixture(name: (typeof FIXTURE_NAMES)[number]): Promise<Fixture> {
  const checkpoint = await readCheckpoint(join(FIXTURES, `${name}.safetensors`));
  const reference = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Omit<Fixture, 'checkpoint'>;
  return { checkpoint, ...reference };
}

/** The graph's edges as [source, target, weight], sorted by target then source. */
export function edgeList(graph: Graph): [number, number, number][] {
  const edges: [number, number, number][] = [];
  graph.adjacency.forEachEdge((s, t, w) => edges.push([s, t, w]));
  return edges.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}

/** Largest |a[i] - b[i]|; throws if the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Largest |a[i] - b[i]| / max(|b[i]|, floor). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return max;
}

/** A float32 tensor with deterministic values of both signs. */
export function tensor(name: string, shape: number[], value: (i: number) => number = (i) => Math.sin(i + name.length)): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return makeTensor(name, 'F32', shape, Float32Array.from({ length: n }, (_, i) => value(i)));
}

/** LeNet-5 for 3-channel 32x32 input, torch names. */
export function lenet5(): Tensor[] {
  return [
    tensor('conv1.weight', [6, 3, 5, 5]),
    tensor('conv1.bias', [6]),
    tensor('conv2.weight', [16, 6, 5, 5]),
    tensor('conv2.bias', [16]),
    tensor('fc1.weight', [120, 400]),
    tensor('fc1.bias', [120]),
    tensor('fc2.weight', [84, 120]),
    tensor('fc2.bias', [84]),
    tensor('fc3.weight', [10, 84]),
    tensor('fc3.bias', [10]),
  ];
}

/** LeNet-5's architecture spec with spatial sizes (3 x 32 x 32 input). */
export const LENET5_SPEC: ArchitectureSpec = {
  format: 'epochgraph-architecture',
  version: 1,
  layers: [
    { type: 'input', name: 'input', channels: 3, size: [32, 32] },
    { type: 'conv', name: 'conv1', weight: 'conv1.weight', bias: 'conv1.bias' },
    { type: 'activation' },
    { type: 'pool', mode: 'max', kernel: 2 },
    { type: 'conv', name: 'conv2', weight: 'conv2.weight', bias: 'conv2.bias' },
    { type: 'activation' },
    { type: 'pool', mode: 'max', kernel: 2 },
    { type: 'flatten' },
    { type: 'dense', name: 'fc1', weight: 'fc1.weight', bias: 'fc1.bias' },
    { type: 'activation' },
    { type: 'dense', name: 'fc2', weight: 'fc2.weight', bias: 'fc2.bias' },
    { type: 'activation' },
    { type: 'dense', name: 'fc3', weight: 'fc3.weight', bias: 'fc3.bias' },
  ],
};
