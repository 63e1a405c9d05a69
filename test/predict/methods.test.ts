import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { findMethod, methodColumns, priorColumn } from '../../src/predict/evaluate-methods.js';
import type { Method } from '../../src/predict/evaluate-methods.js';
import { compactGraphFeatures } from '../../src/summary/columns.js';
import type { FeatureTable } from '../../src/summary/table.js';

describe('the compact graph summary', () => {
  it('keeps mean, sd and max of strength and eigenvector centrality, per epoch and their changes', () => {
    const kept = ['e3.fc1.strength.mean', 'e0.layers.0.eigenvector.std', 'd2_3.fc1.eigenvector.max', 'd0_1.conv1.strength.std'];
    const left = ['e3.fc1.pagerank.mean', 'e3.fc1.strength_in.mean', 'e3.fc1.strength.q75', 'u2_3.fc1.relative_update_in.q50', 'e3.fc1.spectral_radius', 'e3.graph.total_weight'];
    // Relative changes of features whose values are kept add nothing to the compact summary.
    const redundant = ['rel0_3.fc1.strength.mean', 'rel0_3.conv1.strength.std'];
    const features = [...left.slice(0, 3), ...kept, ...redundant, ...left.slice(3), 'e0.conv1.strength.std', 'e3.conv1.strength.std'];
    expect(compactGraphFeatures(features)).toEqual([...kept, 'e0.conv1.strength.std', 'e3.conv1.strength.std']);
  });

  it('takes the relative change over the window where the layout keeps no per-epoch values (agnostic)', () => {
    const features = ['rel0_3.hidden.strength.mean', 'rel0_3.hidden.eigenvector.max', 'rel0_3.hidden.pagerank.mean', 'rel0_3.hidden.strength.q50', 'e3.graph.spectral_radius_normalised', 'u0_1.hidden.relative_update'];
    expect(compactGraphFeatures(features)).toEqual(['rel0_3.hidden.strength.mean', 'rel0_3.hidden.eigenvector.max']);
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
