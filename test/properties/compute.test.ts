import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { checkpointProperties, computeProperties, NODE_PROPERTIES, propertiesToJson } from '../../src/properties/compute.js';
import { aggregate, layerAggregates } from '../../src/properties/layer-aggregates.js';
import { FIXTURES, loadFixture, maxAbsDiff } from '../graph/fixtures.js';

describe('all properties', () => {
  it('of a graph: per-node values, per-layer aggregates and graph figures', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint);
    const p = computeProperties(graph);
    expect(p.nodes).toBe(30);
    expect(p.edges).toBe(150);
    expect(p.totalWeight).toBeCloseTo(fixture.rolled.edge_list.reduce((s, e) => s + e[2], 0), 12);
    expect(Math.abs(p.spectralRadius - fixture.rolled.eigenvalue)).toBeLessThan(1e-12 * fixture.rolled.eigenvalue);
    expect(maxAbsDiff(p.values.eigenvector, fixture.rolled.eigenvector)).toBeLessThan(1e-8);
    expect(maxAbsDiff(p.values.pagerank, fixture.rolled.pagerank)).toBeLessThan(1e-8);
    expect(p.layers.map((l) => l.name)).toEqual(graph.layers.map((l) => l.name));
    for (const layer of p.layers) {
      for (const name of NODE_PROPERTIES) {
        expect(layer.aggregates[name]).toEqual(layerAggregates(graph, p.values[name])[graph.layers.findIndex((l) => l.name === layer.name)]);
      }
    }
    expect(p.layers[0].aggregates.strengthIn.max).toBe(0);
  });

  it('of a checkpoint file, rolled or unrolled', async () => {
    const file = join(FIXTURES, 'cnn.safetensors');
    const fixture = await loadFixture('cnn');
    const rolled = await checkpointProperties(file);
    expect(rolled.graph.architectureSource).toBe('inferred');
    expect(maxAbsDiff(rolled.properties.values.pagerank, fixture.rolled.pagerank)).toBeLessThan(1e-8);
    const unrolled = await checkpointProperties(file, { unrolled: true, architecture: fixture.spec });
    expect(unrolled.properties.kind).toBe('unrolled');
    expect(maxAbsDiff(unrolled.properties.values.eigenvector, fixture.unrolled!.eigenvector)).toBeLessThan(1e-8);
  });

  it('as JSON, with per-node values only on request', async () => {
    const { properties } = await checkpointProperties((await loadFixture('mlp')).checkpoint);
    const summary = JSON.parse(JSON.stringify(propertiesToJson(properties)));
    expect(summary).not.toHaveProperty('values');
    expect(summary.layers[1].aggregates.strength.count).toBe(5);
    const full = JSON.parse(JSON.stringify(propertiesToJson(properties, true)));
    expect(full.values.pagerank).toEqual(Array.from(properties.values.pagerank));
  });

  it('aggregates: count, sum, mean, population std, min, max', () => {
    expect(aggregate(Float64Array.from([9, 1, 2, 3, 4]), 1, 4)).toEqual({ count: 4, sum: 10, mean: 2.5, std: Math.sqrt(1.25), min: 1, max: 4 });
  });

  it('aggregates refuse values of the wrong length', async () => {
    const graph = buildRolledGraph((await loadFixture('mlp')).checkpoint);
    expect(() => layerAggregates(graph, new Float64Array(3))).toThrow('layer-aggregates: 3 values for a graph of 18 nodes');
  });
});
