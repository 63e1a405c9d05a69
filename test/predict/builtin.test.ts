import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PRIOR_COLUMN, findMethod } from '../../src/predict/evaluate-methods.js';
import type { Method } from '../../src/predict/evaluate-methods.js';
import { evaluateZoos, evaluationSpec, specBlocks, zooFeatureTable } from '../../src/predict/evaluation.js';
import { BUILTIN_MODEL_FILE, readModelFile } from '../../src/predict/model-file.js';
import type { ModelFile } from '../../src/predict/model-file.js';
import { fitModel } from '../../src/predict/model-fit.js';
import { featuresOutOfRange, modelPredictions, outOfRangeLimit, predictRuns } from '../../src/predict/model-use.js';
import type { FeatureTable } from '../../src/summary/table.js';
import { resolveConfig } from '../../src/train/config.js';
import { trainRun } from '../../src/train/train.js';
import { createRng } from '../../src/util/random.js';
import { brightnessDataset, runAsync, runCli, tempDir } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
let zoo: string;
let runs: string[];

beforeAll(async () => {
  zoo = tempDir();
  const dataset = brightnessDataset(160, { seed: 5, contrast: 0.3, testCount: 200 });
  const lrs = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3];
  runs = [];
  for (const [i, lr] of lrs.entries()) {
    for (const seed of [0, 1]) {
      const out = join(zoo, `run-${i}-${seed}`);
      await trainRun(resolveConfig({ arch: 'mlp', hidden: [8, 8], epochs: 4, lr, seed, batch_size: 16 }), { out, dataset });
      runs.push(out);
    }
  }
}, 240_000);

/** A copy of `run` (its directory) to break. */
function copyRun(run: string): string {
  const copy = join(tempDir(), 'run');
  spawnSync('cp', ['-r', run, copy]);
  return copy;
}

describe('the built-in model', () => {
  it('ships in the package with its recipe, the training range of every column, and stays small', async () => {
    expect(BUILTIN_MODEL_FILE).toBe(join(ROOT, 'models', 'builtin.json'));
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).files).toContain('models');
    expect(statSync(BUILTIN_MODEL_FILE).size).toBeLessThan(4 << 20);
    const model = await readModelFile('builtin');
    expect(model).toMatchObject({ method: 'graph+curve', layout: 'agnostic', window: [0, 1, 2, 3] });
    expect(model.pipeline.prior?.method).toBe('last-acc');
    expect(model.zoos?.length).toBeGreaterThan(0);
    expect(Object.values(model.runs_per_cell ?? {}).reduce((s, n) => s + n, 0)).toBe(model.training_runs);
    expect(model.training_range?.min).toHaveLength(model.columns.length);
    expect(model.training_range?.max).toHaveLength(model.columns.length);
    model.training_range?.min.forEach((min, c) => expect(min === null || min <= (model.training_range?.max[c] as number)).toBe(true));
  });

  it('predict --model builtin reads the package, not the working directory, and warns exactly for runs out of range', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'builtin'), 'not a model');
    const { code, stdout, stderr } = await runCli(['predict', zoo, '--model', 'builtin', '--json'], { cwd });
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { run: string; predicted: number; lower: number; upper: number; out_of_range: number; out_of_range_share: number }[];
    expect(rows.map((r) => r.run)).toEqual(runs);
    const limit = outOfRangeLimit(JSON.parse(readFileSync(BUILTIN_MODEL_FILE, 'utf8')) as ModelFile);
    for (const r of rows) {
      expect(r.predicted).toBeGreaterThanOrEqual(r.lower);
      expect(r.predicted).toBeLessThanOrEqual(r.upper);
      expect(r.lower).toBeGreaterThanOrEqual(0);
      expect(r.upper).toBeLessThanOrEqual(1);
      expect(Number.isInteger(r.out_of_range)).toBe(true);
      const warned = stderr.split('\n').filter((line) => line.startsWith(`warning: ${r.run}: ${r.out_of_range} of its features`));
      expect(warned).toHaveLength(r.out_of_range_share > limit ? 1 : 0);
    }
  }, 120_000);

  it('refuses a run it cannot summarise with one line naming the run and what is missing, exit code 2', async () => {
    const noEpoch = copyRun(runs[0]);
    rmSync(join(noEpoch, 'checkpoints', 'epoch-0002.safetensors'));
    const missing = await runCli(['predict', noEpoch, '--model', 'builtin']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim()).toBe(`epochgraph: ${noEpoch}: the built-in model cannot summarise this run: no checkpoint for epoch 2 of the window 0-3 (checkpoints: 0, 1, 3, 4)`);

    const noAccuracy = copyRun(runs[1]);
    const manifest = JSON.parse(readFileSync(join(noAccuracy, 'run.json'), 'utf8'));
    manifest.history = manifest.history.filter((h: { epoch: number }) => h.epoch !== 3);
    writeFileSync(join(noAccuracy, 'run.json'), JSON.stringify(manifest));
    const unread = await runCli(['predict', noAccuracy, '--model', 'builtin']);
    expect(unread.code).toBe(2);
    expect(unread.stderr.trim()).toBe(`epochgraph: ${noAccuracy}: the built-in model cannot summarise this run: history has no test_acc for epoch 3, the end of the model's window 0-3`);

    // A checkpoint holding no layer the run's architecture names: no graph can be built.
    const noGraph = copyRun(runs[2]);
    const other = readFileSync(join(runs[2], 'checkpoints', 'epoch-0001.safetensors'));
    const header = JSON.parse(other.subarray(8, 8 + Number(other.readBigUInt64LE(0))).toString('utf8'));
    const renamed = Object.fromEntries(Object.entries(header).map(([k, v]) => [k === '__metadata__' ? k : `renamed.${k}`, v]));
    const json = Buffer.from(JSON.stringify(renamed));
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(noGraph, 'checkpoints', 'epoch-0001.safetensors'), Buffer.concat([size, json, other.subarray(8 + Number(other.readBigUInt64LE(0)))]));
    const graphless = await runCli(['predict', noGraph, '--model', 'builtin']);
    expect(graphless.code).toBe(2);
    expect(graphless.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(graphless.stderr.trim()).toMatch(new RegExp(`^epochgraph: ${noGraph}: the built-in model cannot summarise this run: graph: .*weight tensor "layers\\.0\\.weight" is not in the checkpoint$`));

    // As the prior of fit (its own features need no checkpoint), the same refusal.
    const prior = await runCli(['fit', zoo, dirname(noEpoch), '--epochs', '0-1', '--method', 'curve', '--prior', 'builtin', '--out', join(tempDir(), 'model.json')]);
    expect(prior.code).toBe(2);
    expect(prior.stderr).toMatch(/the built-in model cannot summarise this run: no checkpoint for epoch 2/);
  }, 120_000);

  it('as the prior: a learned method with uninformative features returns the built-in model\'s predictions, and predict computes them again', async () => {
    const method = findMethod('curve') as Method;
    const spec = evaluationSpec({ window: [0, 1, 2], layout: 'per-layer', methods: [method], folds: 3, pipeline: { prior: 'builtin' } });
    const table = await zooFeatureTable([zoo], spec, specBlocks(spec));
    // The prior column is what the built-in model predicts of each run on its own window and layout.
    const builtin = (await predictRuns(await readModelFile('builtin'), runs)).predictions.map((p) => p.predicted);
    const prior = table.columns.indexOf(BUILTIN_PRIOR_COLUMN);
    expect(prior).toBeGreaterThanOrEqual(0);
    builtin.forEach((p, r) => expect(table.matrix[r * table.columns.length + prior]).toBe(p));
    // Under the built-in's own window and layout, the table built in one pass holds the same predictions.
    const shared = await zooFeatureTable([zoo], { ...spec, window: [0, 1, 2, 3], layout: 'agnostic' }, specBlocks(spec));
    const sharedPrior = shared.columns.indexOf(BUILTIN_PRIOR_COLUMN);
    builtin.forEach((p, r) => expect(shared.matrix[r * shared.columns.length + sharedPrior]).toBe(p));
    // A report of a model fitted over the built-in evaluates the zoo's methods without the prior, on tables that hold it.
    const { table: reported } = await evaluateZoos([zoo], { ...spec, pipeline: {} }, { builtinPrior: true });
    expect(reported.columns).toContain(BUILTIN_PRIOR_COLUMN);
    // Final accuracies the prior gets right, and features (the learning curve) replaced by noise.
    const rng = createRng(11);
    const noisy: FeatureTable = {
      ...table,
      targets: Float64Array.from(builtin),
      matrix: table.matrix.map((v, k) => (k % table.columns.length === prior ? v : rng.uniform())),
    };
    const { model, pipeline } = await fitModel(noisy, spec);
    expect(pipeline.selection.candidate).toBe('prior');
    expect(model.pipeline.prior?.method).toBe('builtin');
    expect(model.prior_model_sha256).toMatch(/^[0-9a-f]{64}$/);
    modelPredictions(model, noisy).predictions.predicted.forEach((p, r) => expect(p).toBeCloseTo(builtin[r], 12));
    // From the runs themselves: the built-in's predictions are computed again for the prior.
    const again = (await predictRuns(model, runs)).predictions;
    again.forEach((p, r) => expect(p.predicted).toBeCloseTo(builtin[r], 12));
    // A model file fitted over another built-in model is refused rather than corrected from the wrong prior.
    const stale = join(tempDir(), 'stale.json');
    writeFileSync(stale, JSON.stringify({ ...model, prior_model_sha256: '0'.repeat(64) }));
    const refused = await runCli(['predict', runs[0], '--model', stale]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^epochgraph: ${stale}: fitted over another built-in model \\(SHA-256 000000000000, this epochgraph ships [0-9a-f]{12}\\); refit it with epochgraph fit --prior builtin$`));
  }, 120_000);
});

describe('training ranges', () => {
  it('fit records each column\'s smallest and largest training value; predict counts the features outside', async () => {
    const columns = ['curve:e0.test_acc', 'curve:e0.test_loss', 'curve:e0.train_acc'];
    const values = [
      [0.2, NaN, 1],
      [0.6, NaN, 3],
      [0.4, NaN, 2],
      [0.3, NaN, 5],
      [0.5, NaN, 4],
      [0.1, NaN, 0],
    ];
    const table: FeatureTable = {
      runs: values.map((_, i) => `run-${i}`),
      ids: values.map((_, i) => `run-${i}`),
      targets: Float64Array.of(0.2, 0.6, 0.4, 0.3, 0.5, 0.1),
      groups: values.map((_, i) => `config-${i}`),
      diverged: new Uint8Array(values.length),
      configs: values.map(() => ({ arch: 'mlp', dataset: 'mnist' })),
      columns,
      matrix: Float64Array.from(values.flat()),
    };
    const { model } = await fitModel(table, evaluationSpec({ window: [0], methods: [findMethod('curve') as Method], folds: 2 }));
    expect(model.columns).toEqual(columns);
    expect(model.training_range).toEqual({ min: [0.1, null, 0], max: [0.6, null, 5] });
    expect(model.runs_per_cell).toEqual({ 'mlp/mnist': 6 });
    const X = { rows: 4, cols: 3, data: Float64Array.of(0.1, NaN, 5, 0.05, 1, 5.5, 0.7, NaN, NaN, NaN, NaN, NaN) };
    const counted = featuresOutOfRange(model, X);
    // Row 0 sits on the bounds; row 1 leaves both ranges and has a value where training had none; row 2 has one value, outside.
    expect(Array.from(counted?.outside ?? [])).toEqual([0, 3, 1, 0]);
    expect(Array.from(counted?.present ?? [])).toEqual([2, 3, 1, 0]);
    expect(featuresOutOfRange({ ...model, training_range: undefined }, X)).toBeUndefined();
  });
});

describe('scripts/fit-builtin.ts', () => {
  it('fits a loadable model of the built-in recipe from a tiny zoo, recording the zoos by name', async () => {
    const out = join(tempDir(), 'builtin.json');
    const fitted = await runAsync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'fit-builtin.ts'), zoo, '--out', out, '--folds', '3'], { timeout: 240_000 });
    expect(fitted.stderr).toBe('');
    expect(fitted.code).toBe(0);
    expect(fitted.stdout).toMatch(new RegExp(`${out}: \\d+ bytes`));
    const model = await readModelFile(out);
    expect(model).toMatchObject({ method: 'graph+curve', layout: 'agnostic', window: [0, 1, 2, 3], zoos: [basename(zoo)], training_runs: 12, runs_per_cell: { 'mlp/mnist': 12 } });
    expect(model.pipeline.prior?.method).toBe('last-acc');
    const predicted = await runCli(['predict', runs[0], '--model', out, '--json']);
    expect(predicted.code).toBe(0);
    expect(JSON.parse(predicted.stdout)[0].out_of_range).toBe(0);
  }, 240_000);
});
