import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/errors.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { ARCHITECTURE_METADATA_KEY } from '../../src/graph/architecture-source.js';
import { buildRolledGraph, readRolledGraph } from '../../src/graph/rolled.js';
import { tempDir } from '../helpers.js';
import { edgeList, FIXTURE_NAMES, FIXTURES, lenet5, LENET5_SPEC, loadFixture, maxRelDiff, tensor } from './fixtures.js';

describe('rolled graph', () => {
  it('has 239 nodes and 12,954 edges for LeNet-5 on 3-channel input, inferred or from a spec', () => {
    for (const graph of [buildRolledGraph(lenet5()), buildRolledGraph(lenet5(), { architecture: LENET5_SPEC })]) {
      expect(graph.nodeCount).toBe(239);
      expect(graph.edgeCount).toBe(12_954);
      expect(graph.layers.map((l) => [l.name, l.size])).toEqual([
        ['input', 3],
        ['conv1', 6],
        ['conv2', 16],
        ['fc1', 120],
        ['fc2', 84],
        ['fc3', 10],
      ]);
    }
    expect(buildRolledGraph(lenet5()).architectureSource).toBe('inferred');
    expect(buildRolledGraph(lenet5(), { architecture: LENET5_SPEC }).architectureSource).toBe('option');
  });

  it('weighs conv edges by the kernel norm and flatten edges by the norm over positions', () => {
    const weights = [tensor('c.weight', [1, 1, 2, 2], (i) => [1, -2, 2, 4][i]), tensor('d.weight', [1, 2], (i) => [-3, 4][i])];
    const graph = buildRolledGraph(weights);
    // conv: sqrt(1 + 4 + 4 + 16) = 5; dense after flatten of 1 channel x 2 positions: sqrt(9 + 16) = 5
    expect(edgeList(graph)).toEqual([
      [0, 1, 5],
      [1, 2, 5],
    ]);
  });

  for (const name of FIXTURE_NAMES) {
    it(`matches the numpy edge list of the ${name} fixture`, async () => {
      const fixture = await loadFixture(name);
      const reference = fixture.rolled;
      const graph = buildRolledGraph(fixture.checkpoint, fixture.spec ? { architecture: fixture.spec } : {});
      expect(graph.nodeCount).toBe(reference.nodes);
      expect(graph.edgeCount).toBe(reference.edges);
      expect(graph.layers.map((l) => ({ name: l.name, offset: l.offset, size: l.size }))).toEqual(reference.layers);
      const edges = edgeList(graph);
      expect(edges.map(([s, t]) => [s, t])).toEqual(reference.edge_list.map(([s, t]) => [s, t]));
      expect(maxRelDiff(edges.map((e) => e[2]), reference.edge_list.map((e) => e[2]), 1e-300)).toBeLessThan(1e-14);
    });
  }

  it('infers the cnn fixture (grouped conv, flatten of 6 x 3 x 3) as its spec describes it', async () => {
    const fixture = await loadFixture('cnn');
    expect(edgeList(buildRolledGraph(fixture.checkpoint))).toEqual(edgeList(buildRolledGraph(fixture.checkpoint, { architecture: fixture.spec })));
  });

  it('stores float32 weights on request, rounded once', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint, { precision: 'float32' });
    const weights = edgeList(graph).map((e) => e[2]);
    expect(weights).toEqual(fixture.rolled.edge_list.map((e) => Math.fround(e[2])));
  });

  it('keeps biases as node attributes', () => {
    const graph = buildRolledGraph(lenet5());
    expect(graph.layers[0].bias).toBeNull();
    expect(Array.from(graph.layers[1].bias as Float64Array)).toEqual(Array.from(lenet5()[1].data as Float32Array));
  });

  it('refuses weights that are not finite', () => {
    const bad = [tensor('a.weight', [2, 2]), tensor('b.weight', [1, 2], (i) => (i === 0 ? NaN : 1))];
    expect(() => buildRolledGraph(bad)).toThrow(GraphError);
    expect(() => buildRolledGraph(bad)).toThrow(/graph: edges from tensor "b.weight" are not finite/);
  });

  it('builds graphs wider than one wasm page and with odd block sizes', () => {
    const graph = buildRolledGraph([tensor('a.weight', [129, 257]), tensor('b.weight', [3, 129])]);
    expect(graph.nodeCount).toBe(257 + 129 + 3);
    expect(graph.edgeCount).toBe(129 * 257 + 3 * 129);
  });

  it('reads a checkpoint file one weight at a time into the same graph', async () => {
    for (const name of FIXTURE_NAMES) {
      const fixture = await loadFixture(name);
      const options = fixture.spec ? { architecture: fixture.spec } : {};
      const streamed = await readRolledGraph(join(FIXTURES, `${name}.safetensors`), options);
      const built = buildRolledGraph(fixture.checkpoint, options);
      expect(streamed.layers).toEqual(built.layers);
      expect(edgeList(streamed)).toEqual(edgeList(built));
    }
  });

  it('uses the architecture a checkpoint carries in its metadata', async () => {
    const file = join(tempDir(), 'lenet.safetensors');
    await writeSafetensors(file, lenet5(), { [ARCHITECTURE_METADATA_KEY]: JSON.stringify(LENET5_SPEC) });
    const graph = await readRolledGraph(file);
    expect(graph.architectureSource).toBe('checkpoint');
    expect(graph.architecture).toEqual(LENET5_SPEC);
    expect(graph.edgeCount).toBe(12_954);
  });
});
