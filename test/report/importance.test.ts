import { describe, expect, it } from 'vitest';
import { featureParts, importanceFigure } from '../../src/report/figures/importance.js';

describe('feature importance figure', () => {
  it('splits feature-table columns into property, layer and temporal term', () => {
    expect(featureParts('graph:e3.fc1.eigenvector.q75')).toEqual({ block: 'graph', property: 'eigenvector', layer: 'fc1', term: 'value at an epoch' });
    expect(featureParts('graph:d2_3.layers.0.strength_in.max')).toEqual({ block: 'graph', property: 'strength_in', layer: 'layers.0', term: 'change between epochs' });
    expect(featureParts('graph:rel0_3.graph.spectral_radius')).toEqual({ block: 'graph', property: 'spectral_radius', layer: 'whole graph', term: 'relative change over window' });
    expect(featureParts('graph:e1.layers.0.spectral_radius')).toEqual({ block: 'graph', property: 'spectral_radius', layer: 'layers.0', term: 'value at an epoch' });
    expect(featureParts('graph:u0_1.fc1.relative_update_in.q50')).toEqual({ block: 'graph', property: 'relative_update_in', layer: 'fc1', term: 'update between epochs' });
    expect(featureParts('graph:u2_3.layers.1.relative_update')).toEqual({ block: 'graph', property: 'relative_update', layer: 'layers.1', term: 'update between epochs' });
    expect(featureParts('graph-static:e3.conv1.pagerank.mean')).toMatchObject({ block: 'graph-static', property: 'pagerank', layer: 'conv1' });
    expect(featureParts('curve:e2.test_acc')).toEqual({ block: 'curve', property: 'curve', layer: 'curve', term: 'curve' });
  });

  it('shows the top features and sums every gain into each grouping', () => {
    const importances = [
      { feature: 'graph:e1.fc1.eigenvector.max', gain: 0.4 },
      { feature: 'graph:d0_1.fc1.strength.mean', gain: 0.3 },
      { feature: 'curve:e1.test_acc', gain: 0.2 },
      { feature: 'graph:e0.fc2.eigenvector.min', gain: 0.1 },
    ];
    const figure = importanceFigure(importances, { modelName: 'graph+curve', provenance: 'test', top: 3 });
    const [top, groups] = (figure.spec as { hconcat: Record<string, unknown>[] }).hconcat;
    expect((top.data as { values: { feature: string }[] }).values.map((v) => v.feature)).toEqual(importances.slice(0, 3).map((f) => f.feature));
    const panels = groups.vconcat as { data: { values: { group: string; gain: number }[] } }[];
    expect(panels).toHaveLength(3);
    for (const panel of panels) expect(panel.data.values.reduce((s, v) => s + v.gain, 0)).toBeCloseTo(1, 12);
    const byLayer = Object.fromEntries(panels[1].data.values.map((v) => [v.group, v.gain]));
    expect(byLayer).toEqual({ fc1: 0.7, curve: 0.2, fc2: 0.1 });
    expect(figure.caption).toContain('out of 4 features');
  });
});
