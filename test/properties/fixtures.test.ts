import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { buildUnrolledGraph } from '../../src/graph/unrolled.js';
import { eigenvectorCentrality } from '../../src/properties/eigenvector-centrality.js';
import { pagerank } from '../../src/properties/pagerank.js';
import { spectralRadius } from '../../src/properties/spectral-radius.js';
import { strength } from '../../src/properties/strength.js';
import { FIXTURE_NAMES, loadFixture, maxAbsDiff, maxRelDiff } from '../graph/fixtures.js';
import type { Reference } from '../graph/fixtures.js';
import { float64Bits } from '../helpers.js';

/** Checks every property of `graph` against the scipy / networkx / numpy reference. */
function checkAgainst(graph: Graph, reference: Reference): void {
  const s = strength(graph);
  // Strengths: float64 sums of the same weights in another order, so equal to rounding.
  expect(maxRelDiff(s.in, reference.strength_in, 1e-300)).toBeLessThan(1e-13);
  expect(maxRelDiff(s.out, reference.strength_out, 1e-300)).toBeLessThan(1e-13);
  expect(maxRelDiff(s.total, reference.strength, 1e-300)).toBeLessThan(1e-13);

  const centrality = eigenvectorCentrality(graph);
  expect(maxAbsDiff(centrality.values, reference.eigenvector)).toBeLessThan(1e-8);
  expect(Math.abs(centrality.eigenvalue - reference.eigenvalue) / reference.eigenvalue).toBeLessThan(1e-12);
  expect(Math.min(...centrality.values)).toBeGreaterThanOrEqual(0);
  expect(Math.hypot(...centrality.values)).toBeCloseTo(1, 14);
  expect(Math.abs(spectralRadius(graph) - reference.eigenvalue) / reference.eigenvalue).toBeLessThan(1e-12);

  const ranks = pagerank(graph);
  expect(maxAbsDiff(ranks, reference.pagerank)).toBeLessThan(1e-8);
  expect(ranks.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
}

describe('properties against scipy eigsh, networkx pagerank and numpy', () => {
  for (const name of FIXTURE_NAMES) {
    it(`match on the rolled graph of the ${name} fixture`, async () => {
      const fixture = await loadFixture(name);
      checkAgainst(buildRolledGraph(fixture.checkpoint, fixture.spec ? { architecture: fixture.spec } : {}), fixture.rolled);
    });
  }

  it('match on the rolled graph of the resnet fixture without batch-norm folding', async () => {
    const fixture = await loadFixture('resnet');
    checkAgainst(buildRolledGraph(fixture.checkpoint, { foldBatchNorm: false }), fixture.rolled_no_fold as Reference);
  });

  it('match on the unrolled graph of the cnn fixture (CSR path)', async () => {
    const fixture = await loadFixture('cnn');
    checkAgainst(buildUnrolledGraph(fixture.checkpoint, { architecture: fixture.spec }), fixture.unrolled as Reference);
  });

  it('match with float32 edge storage to float32 rounding', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint, { precision: 'float32' });
    expect(maxAbsDiff(eigenvectorCentrality(graph).values, fixture.rolled.eigenvector)).toBeLessThan(1e-6);
    expect(maxAbsDiff(pagerank(graph), fixture.rolled.pagerank)).toBeLessThan(1e-7);
  });

  it('are deterministic: a graph built again gives the same bits, whatever was computed in between', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint);
    const centrality = eigenvectorCentrality(graph).values;
    const ranks = pagerank(graph);
    // Another graph in between: no state of one computation may leak into the next.
    const other = buildRolledGraph((await loadFixture('cnn')).checkpoint);
    expect(pagerank(other).length).toBe(other.nodeCount);
    const again = buildRolledGraph(fixture.checkpoint);
    expect(float64Bits(eigenvectorCentrality(again).values)).toEqual(float64Bits(centrality));
    expect(float64Bits(pagerank(again))).toEqual(float64Bits(ranks));
  });
});
