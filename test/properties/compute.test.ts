import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { buildUnrolledGraph } from '../../src/graph/unrolled.js';
import { checkpointProperties, computeProperties, NODE_PROPERTIES, propertiesToJson } from '../../src/properties/compute.js';
import { aggregate, layerAggregates } from '../../src/properties/layer-aggregates.js';
import { FIXTURE_NAMES, FIXTURES, loadFixture, maxAbsDiff } from '../graph/fixtures.js';
import type { Reference } from '../graph/fixtures.js';

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

  const graphsOf = async (name: (typeof FIXTURE_NAMES)[number]) => {
    const fixture = await loadFixture(name);
    const graphs: [Graph, Reference][] = [[buildRolledGraph(fixture.checkpoint), fixture.rolled]];
    if (fixture.unrolled) graphs.push([buildUnrolledGraph(fixture.checkpoint, { architecture: fixture.spec }), fixture.unrolled]);
    return graphs;
  };
  for (const name of FIXTURE_NAMES) {
    it(`per layer of the ${name} fixture, rolled and unrolled: incoming edges, their total and the spectral norm of their block`, async () => {
      for (const [graph, reference] of await graphsOf(name)) {
        const p = computeProperties(graph);
        const n = reference.nodes;
        for (const [i, layer] of reference.layers.entries()) {
          // The layer's block from the reference edge list; its largest singular value by
          // plain power iteration on B^T B, an algorithm independent of the Lanczos solver.
          const edges = reference.edge_list.filter(([, t]) => t >= layer.offset && t < layer.offset + layer.size);
          let x = new Float64Array(n).fill(1);
          let sigma = 0;
          for (let iteration = 0; iteration < 5000 && edges.length > 0; iteration++) {
            const bx = new Float64Array(n);
            for (const [s, t, w] of edges) bx[s] += w * x[t];
            const next = new Float64Array(n);
            for (const [s, t, w] of edges) next[t] += w * bx[s];
            const norm = Math.hypot(...next);
            const previous = sigma;
            sigma = Math.sqrt(norm);
            x = next.map((v) => v / norm);
            if (Math.abs(sigma - previous) <= 1e-15 * sigma) break;
          }
          const incoming = p.layers[i].incoming;
          expect(incoming.edges).toBe(edges.length);
          expect(incoming.totalWeight).toBeCloseTo(edges.reduce((s, e) => s + e[2], 0), 12);
          expect(Math.abs(incoming.spectralRadius - sigma)).toBeLessThan(1e-9 * Math.max(1, sigma));
        }
        expect(p.layers[0].incoming).toEqual({ edges: 0, totalWeight: 0, spectralRadius: 0 });
      }
    });
  }

  it("gives a layer's subgraph on local vectors: its sources and nodes, rolled or unrolled", async () => {
    const fixture = await loadFixture('cnn');
    for (const graph of [buildRolledGraph(fixture.checkpoint), buildUnrolledGraph(fixture.checkpoint, { architecture: fixture.spec })]) {
      const layer = graph.layers[2];
      const source = graph.layers[1];
      const subgraph = graph.adjacency.incoming(layer.offset, layer.offset + layer.size);
      // Rolled: every source channel connects; unrolled: only the positions some kernel reads.
      if (graph.kind === 'rolled') expect(subgraph.size).toBe(source.size + layer.size);
      else expect(subgraph.size).toBeLessThanOrEqual(source.size + layer.size);
      expect(subgraph.size).toBeGreaterThan(layer.size);
      // B + B^T on the all-ones vector: the block's in-strengths on the layer's nodes and its
      // out-strengths on the sources, whose values sum to twice the block's weight.
      const y = new Float64Array(subgraph.size);
      subgraph.multiply(new Float64Array(subgraph.size).fill(1), y);
      const strengthIn = graph.adjacency.strengths().in.subarray(layer.offset, layer.offset + layer.size);
      const total = (values: Float64Array) => values.reduce((s, v) => s + v, 0);
      expect(total(y)).toBeCloseTo(2 * total(strengthIn), 9);
      const sorted = (values: Float64Array) => Array.from(values).sort((a, b) => a - b);
      const inLayer = sorted(strengthIn);
      // Every in-strength of the layer appears among the outputs.
      const outputs = sorted(y);
      for (const value of inLayer) expect(outputs.some((o) => Math.abs(o - value) <= 1e-9 * Math.max(1, value))).toBe(true);
    }
    const rolled = buildRolledGraph(fixture.checkpoint);
    const layer = rolled.layers[1];
    expect(() => rolled.adjacency.incoming(layer.offset + 1, layer.offset + layer.size)).toThrow(/split layer .*; a rolled graph's range must cover whole layers/);
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
