import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/train/config.js';
import { trainRun } from '../../src/train/train.js';
import { brightnessDataset, runCli, tempDir } from '../helpers.js';

let zoo: string;
let otherArchitecture: string;

beforeAll(async () => {
  zoo = tempDir();
  const dataset = brightnessDataset(160, { seed: 3, contrast: 0.3, testCount: 200 });
  const lrs = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
  for (const [i, lr] of lrs.entries()) {
    for (const seed of [0, 1]) {
      await trainRun(resolveConfig({ arch: 'mlp', hidden: [8], epochs: 4, lr, seed, batch_size: 16 }), { out: join(zoo, `run-${i}-${seed}`), dataset });
    }
  }
  otherArchitecture = join(tempDir(), 'wide');
  await trainRun(resolveConfig({ arch: 'mlp', hidden: [8, 8], epochs: 4, lr: 0.01, batch_size: 16 }), { out: otherArchitecture, dataset });
}, 180_000);

describe('epochgraph evaluate, fit and predict', () => {
  it('evaluate --json prints every method with the documented keys', async () => {
    const { code, stdout, stderr } = await runCli(['evaluate', zoo, '--epochs', '0-2', '--folds', '4', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.target_transform).toBe('logit');
    expect(out.methods.map((m: { name: string }) => m.name)).toContain('graph');
    expect(out.methods.map((m: { name: string }) => m.name)).toContain('last-acc');
    for (const m of out.methods) {
      for (const key of ['name', 'r2', 'mae', 'kendall_tau', 'spearman', 'coverage']) expect(m).toHaveProperty(key);
      expect(m.n).toBe(16);
      expect(m.coverage).toBeGreaterThanOrEqual(0);
      expect(m.coverage).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('evaluate --target-transform none fits raw accuracy, and refuses an unknown transform', async () => {
    const raw = await runCli(['evaluate', zoo, '--epochs', '0-2', '--folds', '4', '--method', 'curve', '--target-transform', 'none', '--json']);
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout).target_transform).toBe('none');
    const bad = await runCli(['evaluate', zoo, '--epochs', '0-2', '--target-transform', 'probit']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target-transform: expected one of logit, none, got "probit"/);
  }, 120_000);

  it('evaluate takes several zoos as one, and refuses a zoo without runs or a run given twice', async () => {
    const [low, high] = [tempDir(), tempDir()];
    for (let i = 0; i < 8; i++) for (const seed of [0, 1]) symlinkSync(join(zoo, `run-${i}-${seed}`), join(i < 4 ? low : high, `run-${i}-${seed}`));
    const args = ['--epochs', '0-2', '--folds', '4', '--method', 'graph,curve', '--json'];
    const whole = JSON.parse((await runCli(['evaluate', zoo, ...args])).stdout);
    const split = await runCli(['evaluate', low, high, ...args]);
    expect(split.code).toBe(0);
    const out = JSON.parse(split.stdout);
    expect(out.zoos).toEqual([low, high]);
    expect(out.methods).toEqual(whole.methods);
    const empty = await runCli(['evaluate', low, tempDir(), '--epochs', '0-2']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no runs \(subdirectories with a run\.json\)/);
    const twice = await runCli(['evaluate', zoo, high, '--epochs', '0-2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/run-4-0: is the same run as .*run-4-0; give each run once/);
    const shared = await runCli(['evaluate', low, '--test-zoo', zoo, '--epochs', '0-2', '--json']);
    expect(shared.code).toBe(2);
    expect(shared.stdout).toBe('');
    expect(shared.stderr).toMatch(/run-0-0: is the same run as .*run-0-0; give each run once/);
    const apart = await runCli(['evaluate', low, '--test-zoo', high, ...args]);
    expect(apart.code).toBe(0);
    expect(JSON.parse(apart.stdout).test_zoo).toBe(high);
  }, 120_000);

  it('fit writes a model file; predict --json returns run, predicted, lower, upper', async () => {
    const model = join(tempDir(), 'model.json');
    const fit = await runCli(['fit', zoo, '--epochs', '0-2', '--out', model, '--folds', '4', '--quiet']);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved).toMatchObject({ format: 'epochgraph-model', method: 'graph+curve', layout: 'per-layer', window: [0, 1, 2], architectures: ['mlp'], training_runs: 16 });
    expect(saved.pipeline.target).toBe('logit');
    expect(saved.epochgraph_version).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version);
    const one = join(zoo, 'run-3-0');
    const predicted = await runCli(['predict', one, zoo, '--model', model, '--json']);
    expect(predicted.code).toBe(0);
    const rows = JSON.parse(predicted.stdout);
    expect(rows).toHaveLength(17);
    expect(rows[0].run).toBe(one);
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(['run', 'predicted', 'lower', 'upper', 'out_of_range', 'out_of_range_share']);
      expect(r.lower).toBeLessThanOrEqual(r.predicted);
      expect(r.upper).toBeGreaterThanOrEqual(r.predicted);
    }
    // A file of model format 1 (half-width spelled halfWidth) predicts the same.
    expect(saved.version).toBe(2);
    const { half_width, ...pipeline } = saved.pipeline;
    const older = join(tempDir(), 'model-v1.json');
    writeFileSync(older, JSON.stringify({ ...saved, version: 1, pipeline: { ...pipeline, halfWidth: half_width } }));
    const again = await runCli(['predict', one, zoo, '--model', older, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(rows);
    writeFileSync(older, JSON.stringify({ ...saved, version: 3 }));
    expect((await runCli(['predict', one, '--model', older])).stderr).toMatch(/model format version 3 is not supported \(this epochgraph reads 1 and 2\)/);
  }, 120_000);

  it('evaluate --train-size draws whole configurations and is deterministic; --repeats needs it', async () => {
    const args = ['evaluate', zoo, '--epochs', '0-2', '--method', 'curve,last-acc,lc-extrapolate', '--train-size', '6', '--repeats', '2', '--json'];
    const first = await runCli(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out).toMatchObject({ protocol: 'grouped-subsample', train_size: 6, repeats: 2, runs: 16, seed: 0 });
    expect(out.methods.map((m: { name: string }) => m.name)).toEqual(['curve', 'last-acc', 'lc-extrapolate']);
    for (const m of out.methods) {
      // Groups of two seeds: six runs are three whole configurations, ten runs are left to test.
      expect(m.n).toBe(10);
      expect(m.kendall_tau_by_draw).toHaveLength(2);
      for (const key of ['sd', 'learned', 'learned_sd']) expect(m).toHaveProperty(key);
    }
    expect(JSON.parse((await runCli(args)).stdout)).toEqual(out);
    const alone = await runCli(['evaluate', zoo, '--epochs', '0-2', '--repeats', '2']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--repeats: give --train-size too/);
    const tooMany = await runCli(['evaluate', zoo, '--epochs', '0-2', '--train-size', '16']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/--train-size: expected an integer from 2 to 15/);
  }, 120_000);

  it('fit --prior saves the prior, and predict corrects the same prior (graph-compact: its columns only)', async () => {
    const model = join(tempDir(), 'model.json');
    const fit = await runCli(['fit', zoo, '--epochs', '0-2', '--method', 'graph-compact', '--prior', 'lc-extrapolate', '--out', model, '--folds', '4', '--quiet']);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved.pipeline.prior.method).toBe('lc-extrapolate');
    expect(saved.blocks).toEqual(['graph', 'lc']);
    expect(saved.columns.every((c: string) => /^graph:(e|d)\d/.test(c) && /\.(strength|eigenvector)\.(mean|std|max)$/.test(c))).toBe(true);
    const predicted = await runCli(['predict', zoo, '--model', model, '--json']);
    expect(predicted.code).toBe(0);
    expect(JSON.parse(predicted.stdout)).toHaveLength(16);
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--prior', 'graph', '--out', model])).stderr).toMatch(/--prior: expected one of last-acc, lc-extrapolate, builtin, got "graph"/);
  }, 120_000);

  it('refuses to predict a run of another architecture, or one lacking a window checkpoint', async () => {
    const model = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--out', model, '--method', 'graph', '--folds', '4', '--quiet'])).code).toBe(0);
    const foreign = await runCli(['predict', otherArchitecture, '--model', model]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/architecture does not fit the model .*fitted with the agnostic layout predicts other architectures/);
    const pruned = tempDir();
    await runCli(['train', '--arch', 'mlp', '--epochs', '1', '--train-limit', '64', '--out', pruned, '--quiet']);
    rmSync(join(pruned, 'checkpoints', 'epoch-0001.safetensors'));
    const missing = await runCli(['predict', pruned, '--model', model]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no checkpoint for epoch 1 of the window 0-2/);
    const notModel = await runCli(['predict', pruned, '--model', join(zoo, 'run-0-0', 'run.json')]);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toMatch(/not an epochgraph model file/);
  }, 120_000);
});
