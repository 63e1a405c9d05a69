import { parquetReadObjects } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRun } from '../../src/checkpoint/run.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import { OptionError } from '../../src/errors.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { computeProperties } from '../../src/properties/compute.js';
import { updateStrength } from '../../src/properties/update-strength.js';
import { runFeatures, runSnapshots, windowCheckpoints, windowFeatures } from '../../src/summary/features.js';
import { readSnapshotTable, writeSnapshotTable } from '../../src/summary/snapshot-table.js';
import type { SnapshotTableRun } from '../../src/summary/snapshot-table.js';
import { SnapshotFeaturizer } from '../../src/summary/snapshot.js';
import { STATISTICS, describeInto } from '../../src/summary/statistics.js';
import { buildFeatureTable, configurationGroup, writeFeatureTable } from '../../src/summary/table.js';
import { temporalSummary } from '../../src/summary/temporal.js';
import { resolveConfig } from '../../src/train/config.js';
import { trainRun } from '../../src/train/train.js';
import { formatEpochs, parseEpochWindow } from '../../src/util/epochs.js';
import { brightnessDataset, float64Bits, tempDir } from '../helpers.js';

const stat = (values: number[]) => {
  const out = new Float64Array(STATISTICS.length);
  describeInto(Float64Array.from(values), out, 0);
  return Object.fromEntries(STATISTICS.map((s, k) => [s, out[k]]));
};

describe('statistics', () => {
  it('matches hand-computed values (type-7 quantiles, population std, moment skewness)', () => {
    const s = stat([4, 1, 3, 2, 10]);
    expect(s.mean).toBe(4);
    expect(s.std).toBeCloseTo(Math.sqrt((0 + 9 + 1 + 4 + 36) / 5), 14);
    expect([s.min, s.q25, s.q50, s.q75, s.max]).toEqual([1, 2, 3, 4, 10]);
    expect(s.q10).toBeCloseTo(1.4, 14);
    expect(s.q90).toBeCloseTo(7.6, 14);
    const m2 = 50 / 5;
    const m3 = (0 + -27 + -1 + -8 + 216) / 5;
    expect(s.skew).toBeCloseTo(m3 / m2 ** 1.5, 14);
  });

  it('gives zero skew for a constant sample and NaN for an empty one', () => {
    expect(stat([2, 2, 2]).skew).toBe(0);
    expect(Number.isNaN(stat([]).mean)).toBe(true);
  });
});

describe('epoch windows', () => {
  it('parses ranges and lists, and formats them back', () => {
    expect(parseEpochWindow('0-3')).toEqual([0, 1, 2, 3]);
    expect(parseEpochWindow('5,0,2')).toEqual([0, 2, 5]);
    expect(formatEpochs([0, 1, 2, 3])).toBe('0-3');
    expect(formatEpochs([0, 2, 5])).toBe('0,2,5');
    expect(() => parseEpochWindow('3-1')).toThrow(/empty/);
    // The library names the field; the command line names the flag (test/report/report.test.ts).
    expect(() => parseEpochWindow('a')).toThrow(/^window: expected a comma-separated list of epochs/);
    expect(() => parseEpochWindow('a')).toThrow(OptionError);
  });

  it('names values per epoch, differences between epochs, and relative change', () => {
    const snap = (a: number, b: number) => ({ names: ['x', 'y'], values: Float64Array.of(a, b) });
    const summary = temporalSummary([0, 1, 2], [snap(1, 10), snap(2, 10), snap(4, 5)]);
    const get = (name: string) => summary.values[summary.names.indexOf(name)];
    expect(get('e2.x')).toBe(4);
    expect(get('d1_2.x')).toBe(2);
    expect(get('d0_1.y')).toBe(0);
    expect(get('rel0_2.x')).toBeCloseTo(3, 10);
    expect(get('rel0_2.y')).toBeCloseTo(-0.5, 10);
    expect(summary.names).toHaveLength(2 * 3 + 2 * 2 + 2);
    const still = temporalSummary([0, 1, 2], [snap(1, 10), snap(2, 10), snap(4, 5)], { temporal: false });
    expect(still.names).toEqual(['e2.x', 'e2.y']);
    const relativeOnly = temporalSummary([0, 1, 2], [snap(1, 10), snap(2, 10), snap(4, 5)], { keepValues: (n) => n === 'y' });
    expect(relativeOnly.names).toEqual(['e0.y', 'e1.y', 'e2.y', 'd0_1.y', 'd1_2.y', 'rel0_2.x', 'rel0_2.y']);
    expect(temporalSummary([0, 1, 2], [snap(1, 10), snap(2, 10), snap(4, 5)], { temporal: false, keepValues: (n) => n === 'y' }).names).toEqual(['e2.y']);
  });

  it('names update features by the pair of epochs they join', () => {
    const snap = (a: number) => ({ names: ['x'], values: Float64Array.of(a) });
    const update = (a: number) => ({ names: ['moved'], values: Float64Array.of(a) });
    const summary = temporalSummary([0, 2, 5], [snap(1), snap(2), snap(3)], { updates: [update(0.5), update(0.25)] });
    expect(summary.names.filter((n) => n.startsWith('u'))).toEqual(['u0_2.moved', 'u2_5.moved']);
    expect(summary.values[summary.names.indexOf('u2_5.moved')]).toBe(0.25);
    expect(() => temporalSummary([0, 1, 2], [snap(1), snap(2), snap(3)], { updates: [update(1)] })).toThrow(/1 updates for a window of 3 epochs/);
  });
});

describe('snapshot features', () => {
  /** A dense 2-layer net whose every weight is `w`. */
  function uniformNet(width: number, w: number) {
    return [
      makeTensor('fc1.weight', 'F32', [width, 4], new Float32Array(width * 4).fill(w)),
      makeTensor('fc1.bias', 'F32', [width], new Float32Array(width)),
      makeTensor('fc2.weight', 'F32', [3, width], new Float32Array(3 * width).fill(w)),
      makeTensor('fc2.bias', 'F32', [3], new Float32Array(3)),
    ];
  }

  it('per-layer: strengths of a uniform net are degree x weight, in readable names', () => {
    const graph = buildRolledGraph(uniformNet(8, 0.5));
    const features = new SnapshotFeaturizer('per-layer').features(graph, computeProperties(graph));
    const get = (name: string) => features.values[features.names.indexOf(name)];
    expect(get('fc1.strength_in.mean')).toBeCloseTo(4 * 0.5, 12);
    expect(get('fc1.strength_out.max')).toBeCloseTo(3 * 0.5, 12);
    expect(get('fc1.strength_in.std')).toBeCloseTo(0, 12);
    expect(features.names).not.toContain('input.strength_in.mean');
    expect(features.names).not.toContain('fc2.strength_out.mean');
    expect(get('graph.total_weight')).toBeCloseTo(0.5 * (8 * 4 + 3 * 8), 10);
    // A constant block is rank one: its spectral norm is weight x sqrt(rows x columns).
    expect(get('fc1.total_weight')).toBeCloseTo(0.5 * 8 * 4, 10);
    expect(get('fc1.spectral_radius')).toBeCloseTo(0.5 * Math.sqrt(8 * 4), 10);
    expect(get('fc2.spectral_radius')).toBeCloseTo(0.5 * Math.sqrt(3 * 8), 10);
    expect(features.names).not.toContain('input.spectral_radius');
  });

  it('agnostic: normalised values do not depend on width', () => {
    const narrow = buildRolledGraph(uniformNet(8, 0.5));
    const wide = buildRolledGraph(uniformNet(64, 0.5));
    const f = (g: typeof narrow) => new SnapshotFeaturizer('agnostic').features(g, computeProperties(g));
    const a = f(narrow);
    const b = f(wide);
    expect(a.names).toEqual(b.names);
    const get = (v: typeof a, name: string) => v.values[v.names.indexOf(name)];
    for (const name of ['hidden.strength_in.mean', 'hidden.strength.mean', 'output.strength_in.mean', 'graph.mean_edge_weight', 'hidden.mean_edge_weight', 'output.mean_edge_weight']) {
      expect(get(a, name)).toBeCloseTo(0.5, 10);
      expect(get(b, name)).toBeCloseTo(0.5, 10);
    }
    // Rank-one blocks: a normalised layer radius of exactly 1 at any width.
    for (const name of ['first_hidden.spectral_radius_normalised', 'output.spectral_radius_normalised']) {
      expect(get(a, name)).toBeCloseTo(1, 10);
      expect(get(b, name)).toBeCloseTo(1, 10);
    }
    // PageRank times node count has mean 1 over the graph whatever its size.
    const meanRank = (v: typeof a, g: typeof narrow) =>
      g.layers.reduce((s, l) => s + get(v, `${l === g.layers[0] ? 'input' : l === g.layers.at(-1) ? 'output' : 'hidden'}.pagerank.mean`) * l.size, 0) / g.nodeCount;
    expect(meanRank(a, narrow)).toBeCloseTo(1, 10);
    expect(meanRank(b, wide)).toBeCloseTo(1, 10);
  });

  it('update features: every weight moving from 0.5 to 0.6 is a relative update of 0.2 at any width, in either layout', () => {
    for (const layout of ['per-layer', 'agnostic'] as const) {
      for (const width of [8, 64]) {
        const update = new SnapshotFeaturizer(layout).updateFeatures(buildRolledGraph(uniformNet(width, 0.6)), updateStrength(buildRolledGraph(uniformNet(width, 0.5)), buildRolledGraph(uniformNet(width, 0.6))));
        const hidden = layout === 'per-layer' ? 'fc1' : 'hidden';
        const output = layout === 'per-layer' ? 'fc2' : 'output';
        expect(update.names).toContain(`${hidden}.relative_update_in.q50`);
        expect(update.names).not.toContain(`${output}.relative_update_out.q50`);
        expect(update.names).not.toContain('input.relative_update');
        for (const [k, name] of update.names.entries()) {
          if (/\.(std|skew)$/.test(name)) expect(update.values[k]).toBeCloseTo(0, 12);
          else expect(update.values[k]).toBeCloseTo((Math.fround(0.6) - 0.5) / 0.5, 12);
        }
      }
    }
  });

  it('update features: a node without earlier edges that way is left out of the ratios', () => {
    // fc1's first row starts at zero: its in-ratio is undefined, so the sample is the other rows.
    const net = (first: number) => [
      makeTensor('fc1.weight', 'F32', [2, 2], Float32Array.of(first, first, 1, 1)),
      makeTensor('fc2.weight', 'F32', [1, 2], Float32Array.of(1, 1)),
    ];
    const update = new SnapshotFeaturizer('per-layer').updateFeatures(buildRolledGraph(net(1)), updateStrength(buildRolledGraph(net(0)), buildRolledGraph(net(1))));
    const get = (name: string) => update.values[update.names.indexOf(name)];
    expect(get('fc1.relative_update_in.max')).toBe(0);
    expect(get('fc1.relative_update')).toBe(1); // 2 moved over 2 before
  });
});

describe('features of a tiny zoo', () => {
  let zoo: string;
  let runs: string[];

  beforeAll(async () => {
    zoo = tempDir();
    const dataset = brightnessDataset(200, { seed: 9, contrast: 0.5, testCount: 100 });
    runs = [];
    for (const [i, lr] of [0.001, 0.01, 0.1].entries()) {
      for (const seed of [0, 1]) {
        const out = join(zoo, `run-${i}-${seed}`);
        await trainRun(resolveConfig({ arch: 'mlp', hidden: [8], epochs: 4, lr, seed, batch_size: 20 }), { out, dataset });
        runs.push(out);
      }
    }
    // A diverged run: epochs after divergence reuse its diverged snapshot.
    const out = join(zoo, 'run-diverged');
    await trainRun(resolveConfig({ arch: 'mlp', hidden: [8], epochs: 4, lr: 1e7, batch_size: 20 }), { out, dataset });
    runs.push(out);
  }, 120_000);

  it('extracts every block with stable names for each run', async () => {
    const run = await readRun(runs[0]);
    const blocks = await runFeatures(run, { window: [0, 1, 2], layout: 'per-layer', blocks: ['graph', 'graph-static', 'curve', 'tse', 'weights', 'hyper'] });
    expect(blocks.graph?.names).toContain('e2.layers.0.eigenvector.mean');
    expect(blocks.graph?.names).toContain('d1_2.graph.spectral_radius');
    expect(blocks.graph?.names).toContain('u1_2.layers.0.relative_update_in.q50');
    // Agnostic: per-epoch values only of the normalised spectral radii; relative change of all.
    const agnostic = await runFeatures(run, { window: [0, 1, 2], layout: 'agnostic', blocks: ['graph', 'graph-static'] });
    expect(agnostic.graph?.names).toContain('e2.first_hidden.spectral_radius_normalised');
    expect(agnostic.graph?.names).toContain('rel0_2.first_hidden.pagerank.mean');
    expect(agnostic.graph?.names).toContain('u0_1.first_hidden.relative_update_in.mean');
    expect(agnostic.graph?.names.filter((n) => /^[ed]\d/.test(n)).every((n) => n.endsWith('.spectral_radius_normalised'))).toBe(true);
    expect(agnostic['graph-static']?.names.every((n) => n.startsWith('e2.') && n.endsWith('.spectral_radius_normalised'))).toBe(true);
    expect(blocks['graph-static']?.names.every((n) => n.startsWith('e2.'))).toBe(true);
    expect(blocks.curve?.names).toEqual(['e0', 'e1', 'e2'].flatMap((e) => ['train_loss', 'train_acc', 'test_loss', 'test_acc'].map((k) => `${e}.${k}`)));
    const tse = (run.history[1].train_loss as number) + (run.history[2].train_loss as number);
    expect(blocks.tse?.values[0]).toBeCloseTo(tse, 12);
    expect(blocks.weights?.names).toContain('layers.0.weight.q50');
    const hyper = blocks.hyper as { names: readonly string[]; values: Float64Array };
    expect(hyper.values[hyper.names.indexOf('log10_lr')]).toBeCloseTo(-3, 12);
    expect(hyper.values[hyper.names.indexOf('optimizer=sgd')]).toBe(1);
  });

  it('builds a table with targets and seed-free groups, and writes CSV and Parquet', async () => {
    const table = await buildFeatureTable(runs, { window: [0, 1, 2], layout: 'per-layer', blocks: ['graph', 'curve'] });
    expect(table.runs).toHaveLength(7);
    expect(table.groups[0]).toBe(table.groups[1]);
    expect(table.groups[0]).not.toBe(table.groups[2]);
    expect(table.groups[0]).toBe(configurationGroup({ ...(await readRun(runs[1])).config }));
    expect(table.diverged[6]).toBe(1);
    expect(table.targets[0]).toBe((await readRun(runs[0])).finalTestAcc);
    const dir = tempDir();
    await writeFeatureTable(join(dir, 't.csv'), table);
    const csv = readFileSync(join(dir, 't.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(8);
    expect(csv[0].split(',').slice(0, 5)).toEqual(['run', 'id', 'group', 'diverged', 'final_test_acc']);
    await writeFeatureTable(join(dir, 't.parquet'), table);
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 't.parquet')) })) as Record<string, unknown>[];
    expect(rows).toHaveLength(7);
    expect(rows[3].final_test_acc).toBe(table.targets[3]);
    const column = table.columns[5];
    expect(rows[2][column]).toBe(table.matrix[2 * table.columns.length + 5]);
    await expect(writeFeatureTable(join(dir, 't.xlsx'), table)).rejects.toThrow(/\.csv or \.parquet/);
  });

  it('gives a snapshot with non-finite weights NaN graph features instead of failing', async () => {
    const { readCheckpoint } = await import('../../src/checkpoint/open.js');
    const { writeSafetensors } = await import('../../src/checkpoint/safetensors.js');
    const run = await readRun(runs[2]);
    const second = run.checkpoints.find((c) => c.epoch === 2)!;
    const checkpoint = await readCheckpoint(second.path);
    const poisoned = checkpoint.tensors.map((t) => (t.name === 'layers.0.weight' ? { ...t, data: Float32Array.from(t.data as Float32Array, () => NaN) } : t));
    await writeSafetensors(second.path, poisoned, checkpoint.metadata);
    const { graph } = await runFeatures(run, { window: [0, 1, 2], layout: 'per-layer', blocks: ['graph'] });
    const at = (name: string) => graph!.values[graph!.names.indexOf(name)];
    expect(Number.isNaN(at('e2.layers.0.eigenvector.mean'))).toBe(true);
    expect(Number.isFinite(at('e1.layers.0.eigenvector.mean'))).toBe(true);
    expect(Number.isNaN(at('d1_2.graph.spectral_radius'))).toBe(true);
    expect(Number.isNaN(at('u1_2.layers.0.relative_update'))).toBe(true);
    expect(Number.isFinite(at('u0_1.layers.0.relative_update'))).toBe(true);
    await writeSafetensors(second.path, checkpoint.tensors, checkpoint.metadata);
  });

  it('gives every window inside the extracted epochs from one extraction, the same as extracting that window, also through a snapshot table', async () => {
    const blocks = ['graph', 'graph-static', 'curve', 'tse', 'lc', 'weights', 'hyper'] as const;
    const dir = tempDir();
    for (const layout of ['per-layer', 'agnostic'] as const) {
      const extracted: SnapshotTableRun[] = [];
      for (const path of runs) {
        const run = await readRun(path);
        const snapshots = await runSnapshots(run, { layout, graphEpochs: [0, 1, 2, 3], updates: true, weightEpochs: [0, 1, 2, 3] });
        extracted.push({ key: basename(path), snapshots });
      }
      const file = join(dir, `snapshots-${layout}.parquet`);
      await writeSnapshotTable(file, layout, extracted);
      const table = await readSnapshotTable(file);
      expect(table.layout).toBe(layout);
      expect([...table.runs.keys()]).toEqual(runs.map((r) => basename(r)));
      for (const window of [[0, 1], [0, 1, 2], [0, 1, 2, 3], [1, 2, 3]]) {
        for (const [i, path] of runs.entries()) {
          const run = await readRun(path);
          const direct = await runFeatures(run, { window, layout, blocks: [...blocks] });
          for (const snapshots of [extracted[i].snapshots, table.runs.get(basename(path))!.snapshots]) {
            const rebuilt = windowFeatures(run, snapshots, { window, layout, blocks: [...blocks] });
            for (const block of blocks) {
              expect(rebuilt[block]?.names, `${block} ${formatEpochs(window)} ${path}`).toEqual(direct[block]?.names);
              expect(float64Bits(rebuilt[block]?.values ?? new Float64Array())).toEqual(float64Bits(direct[block]?.values ?? new Float64Array()));
            }
          }
        }
      }
      // A window whose consecutive epochs are no consecutive extracted epochs has no update to use.
      const run = await readRun(runs[0]);
      expect(() => windowFeatures(run, extracted[0].snapshots, { window: [0, 2], layout, blocks: ['graph'] })).toThrow(/lack the update from epoch 0 to 2 of the window 0,2/);
      expect(() => windowFeatures(run, extracted[0].snapshots, { window: [0, 1, 2, 3, 4], layout, blocks: ['graph-static'] })).toThrow(/lack the graph at epoch 4/);
    }
  });

  it('names the run and epoch when the window asks for a checkpoint it lacks', async () => {
    const run = await readRun(runs[0]);
    expect(() => windowCheckpoints(run, [0, 9])).toThrow(/no checkpoint for epoch 9 of the window 0,9/);
    const diverged = await readRun(runs[6]);
    const paths = windowCheckpoints(diverged, [0, 1, 2, 3]);
    expect(paths.at(-1)).toBe(diverged.checkpoints.at(-1)?.path);
    // Its learning curve, too, repeats the diverged epoch for the window epochs after it.
    const at = diverged.diverged_at_epoch as number;
    const curve = (await runFeatures(diverged, { window: [0, 1, 2, 3], layout: 'per-layer', blocks: ['curve'] })).curve!;
    expect(curve.names).toContain('e3.test_acc');
    const entry = diverged.history.find((h) => h.epoch === at)!;
    expect(curve.values[curve.names.indexOf('e3.test_acc')]).toBe(entry.test_acc);
  });
});
