import { describe, expect, it } from 'vitest';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { computeProperties } from '../../src/properties/compute.js';
import { graphDrawingFigure } from '../../src/report/figures/graph-drawing.js';
import type { DrawnSnapshot } from '../../src/report/figures/graph-drawing.js';
import { createRng } from '../../src/util/random.js';

/** A dense 20-10-5 network whose weights are `scale` times seeded normals. */
function snapshot(epoch: number, scale: number): DrawnSnapshot {
  const rng = createRng(7);
  const weights = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  const graph = buildRolledGraph([makeTensor('a.weight', 'F32', [10, 20], weights(200)), makeTensor('b.weight', 'F32', [5, 10], weights(50))]);
  return { epoch, label: `epoch ${epoch}`, graph, properties: computeProperties(graph) };
}

interface Row {
  kind: string;
  panel: string;
  x: number;
  y: number;
  x2?: number;
  y2?: number;
  relative?: number;
  centrality?: number;
}
const rowsOf = (spec: Record<string, unknown>) => (spec.data as { values: Row[] }).values;

describe('graph drawing', () => {
  const snapshots = [snapshot(0, 1), snapshot(3, 2)];

  it('draws every node and edge of a small graph, nodes sized by eigenvector centrality', () => {
    const figure = graphDrawingFigure('run', snapshots);
    const rows = rowsOf(figure.spec);
    for (const [k, s] of snapshots.entries()) {
      const edges = rows.filter((r) => r.kind === 'edge' && r.panel === s.label);
      const nodes = rows.filter((r) => r.kind === 'node' && r.panel === s.label);
      expect(edges).toHaveLength(250);
      expect(nodes.map((n) => n.centrality)).toEqual(Array.from(snapshots[k].properties.values.eigenvector));
      // Node positions: layer index across, index within the layer down, in (0, 1).
      expect(nodes.filter((n) => n.x === 1).map((n) => n.y)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 0.5) / 10));
    }
    expect(figure.caption).toContain('Every edge is drawn.');
  });

  it('scales edge opacity by the strongest weight between the same layers over both epochs', () => {
    const rows = rowsOf(graphDrawingFigure('run', snapshots).spec).filter((r) => r.kind === 'edge');
    // Epoch 3 doubles every weight: its strongest edge per layer is 1, epoch 0's is 0.5.
    for (const layer of [1, 2]) {
      const max = (panel: string) => Math.max(...rows.filter((r) => r.panel === panel && r.x2 === layer).map((r) => r.relative as number));
      expect(max('epoch 3')).toBeCloseTo(1, 6);
      expect(max('epoch 0')).toBeCloseTo(0.5, 6);
    }
  });

  it('samples the same edges in both panels when there are too many, and says how many', () => {
    const figure = graphDrawingFigure('run', snapshots, 60);
    const rows = rowsOf(figure.spec).filter((r) => r.kind === 'edge');
    const key = (r: Row) => `${r.x},${r.y},${r.x2},${r.y2}`;
    const first = rows.filter((r) => r.panel === 'epoch 0').map(key).sort();
    const second = rows.filter((r) => r.panel === 'epoch 3').map(key).sort();
    expect(first).toHaveLength(60);
    expect(new Set(first).size).toBe(60);
    expect(second).toEqual(first);
    // 60 edges shared by two layers: 30 of the 50 into the output, 30 of the 200 into the hidden layer.
    expect(rows.filter((r) => r.panel === 'epoch 0' && r.x2 === 2)).toHaveLength(30);
    expect(figure.caption).toContain('30 of 200 edges into a');
    expect(figure.caption).toContain('30 of 50 edges into b');
  });
});
