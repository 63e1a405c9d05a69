import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { findMethod, methodColumns, priorColumn } from '../../src/predict/evaluate-methods.js';
import type { Method } from '../../src/predict/evaluate-methods.js';
import { isCompactGraphFeature } from '../../src/summary/columns.js';
import type { FeatureTable } from '../../src/summary/table.js';

describe('the compact graph summary', () => {
  it('keeps mean, sd and max of strength and eigenvector centrality, per epoch and their changes', () => {
    for (const kept of ['e3.fc1.strength.mean', 'e0.layers.0.eigenvector.std', 'd2_3.fc1.eigenvector.max', 'd0_1.conv1.strength.std']) expect(isCompactGraphFeature(kept)).toBe(true);
    for (const left of ['e3.fc1.pagerank.mean', 'e3.fc1.strength_in.mean', 'e3.fc1.strength.q75', 'rel0_3.fc1.strength.mean', 'u2_3.fc1.relative_update_in.q50', 'e3.fc1.spectral_radius', 'e3.graph.total_weight']) {
      expect(isCompactGraphFeature(left)).toBe(false);
    }
  });

  it('is what graph-compact learns from, other blocks whole', () => {
    const columns = ['graph:e3.fc1.strength.mean', 'graph:e3.fc1.pagerank.mean', 'curve:e3.test_acc', 'graph:d2_3.fc1.eigenvector.max'];
    const table = { columns } as unknown as FeatureTable;
    expect(methodColumns(table, findMethod('graph-compact') as Method)).toEqual(['graph:e3.fc1.strength.mean', 'graph:d2_3.fc1.eigenvector.max']);
    expect(methodColumns(table, { ...(findMethod('graph-compact') as Method), blocks: ['graph', 'curve'] })).toEqual(['graph:e3.fc1.strength.mean', 'curve:e3.test_acc', 'graph:d2_3.fc1.eigenvector.max']);
    expect(methodColumns(table, findMethod('graph') as Method)).toEqual(['graph:e3.fc1.strength.mean', 'graph:e3.fc1.pagerank.mean', 'graph:d2_3.fc1.eigenvector.max']);
  });
});

describe('priors', () => {
  it('are the direct methods, read from their prediction column', () => {
    expect(priorColumn('last-acc', 3)).toBe('curve:e3.test_acc');
    expect(priorColumn('lc-extrapolate', 3)).toBe('lc:final.predicted');
    expect(() => priorColumn('graph', 3)).toThrow(OptionError);
    expect(() => priorColumn('graph', 3)).toThrow(/^prior: expected one of last-acc, lc-extrapolate, builtin, got "graph"$/);
  });
});
