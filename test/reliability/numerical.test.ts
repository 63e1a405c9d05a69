/**
 * Numerical robustness: NaN and infinite weights, all-zero layers, a single-run zoo, a zoo
 * where every run diverged, constant features, a window longer than the runs, a zoo too
 * small for its folds. Each gives a defined result or a clear error.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { RunFormatError } from '../../src/errors.js';
import { NonFiniteWeightsError } from '../../src/graph/errors.js';
import { PredictError } from '../../src/predict/errors.js';
import { findMethod } from '../../src/predict/evaluate-methods.js';
import type { Method } from '../../src/predict/evaluate-methods.js';
import { evaluateTables, evaluateZoos, evaluationSpec } from '../../src/predict/evaluation.js';
import type { ZooEvaluation } from '../../src/predict/evaluation.js';
import { checkpointProperties, propertiesToJson } from '../../src/properties/compute.js';
import type { FeatureTable } from '../../src/summary/table.js';
import { runCli, tempDir, tinyZooGrid } from '../helpers.js';

const RUNS = 8;
const GRID = tinyZooGrid([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5], 'all');
const ids = Array.from({ length: RUNS }, (_, i) => `run-${String(i).padStart(4, '0')}`);
const methods = ['graph+curve', 'curve', 'weights'].map((name) => findMethod(name) as Method);
const spec = (window: number[], folds = 4) => evaluationSpec({ window, folds, methods });

let root: string;
let zoo: string;

beforeAll(async () => {
  root = tempDir();
  zoo = join(root, 'zoo');
  writeFileSync(join(root, 'grid.yaml'), GRID);
  expect((await runCli(['zoo', join(root, 'grid.yaml'), '--out', zoo, '--workers', '2', '--quiet'])).code).toBe(0);
}, 120_000);

/** A copy of the zoo named `name`. */
function copyZoo(name: string, runs: readonly string[] = ids): string {
  const out = join(root, name);
  for (const id of runs) cpSync(join(zoo, id), join(out, id), { recursive: true });
  return out;
}

/** Rewrites a checkpoint with `edit` applied to each tensor's data. */
async function editCheckpoint(file: string, edit: (name: string, data: Float32Array) => void): Promise<void> {
  const checkpoint = await readCheckpoint(file);
  for (const tensor of checkpoint.tensors) edit(tensor.name, tensor.data as Float32Array);
  await writeSafetensors(file, checkpoint.tensors, checkpoint.metadata);
}

function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => numbersIn(v, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => numbersIn(v, out));
  return out;
}

/** Every feature is finite or missing, and every method was evaluated on every run. */
function expectDefined(result: ZooEvaluation, runs: number): void {
  expect(result.table.matrix.every((v) => Number.isNaN(v) || Number.isFinite(v))).toBe(true);
  expect(result.evaluations.map((e) => e.name)).toEqual(methods.map((m) => m.name));
  for (const evaluation of result.evaluations) {
    expect(evaluation.n).toBe(runs);
    expect(Number.isFinite(evaluation.mae)).toBe(true);
    expect(Number.isFinite(evaluation.r2)).toBe(true);
  }
}

describe('numerical robustness', () => {
  it('NaN and infinite weights: the snapshot has no graph (a clear error alone, missing features in a zoo)', async () => {
    const nan = copyZoo('nan');
    await editCheckpoint(join(nan, 'run-0001', 'checkpoints', 'epoch-0001.safetensors'), (name, data) => name.endsWith('weight') && (data[0] = NaN));
    await editCheckpoint(join(nan, 'run-0002', 'checkpoints', 'epoch-0001.safetensors'), (name, data) => name.endsWith('weight') && (data[3] = -Infinity));
    for (const id of ['run-0001', 'run-0002']) {
      const error = await checkpointProperties(join(nan, id, 'checkpoints', 'epoch-0001.safetensors')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonFiniteWeightsError);
      expect((error as Error).message).toMatch(/^graph: edges from tensor "layers\.0\.weight" are not finite \(a diverged run\?\)$/);
    }
    const result = await evaluateZoos([nan], spec([0, 1]));
    expectDefined(result, RUNS);
    const { table } = result;
    const row = (id: string) => table.ids.indexOf(id);
    const at = (id: string, column: string) => table.matrix[row(id) * table.columns.length + table.columns.indexOf(column)];
    const epoch1 = table.columns.filter((c) => c.startsWith('graph:e1.'));
    expect(epoch1.length).toBeGreaterThan(0);
    for (const column of epoch1) {
      expect(at('run-0001', column), column).toBeNaN();
      expect(at('run-0002', column), column).toBeNaN();
      expect(Number.isFinite(at('run-0000', column)), column).toBe(true);
    }
    // The weight statistics of a tensor holding an infinity are missing, not infinite.
    expect(at('run-0002', 'weights:layers.0.weight.mean')).toBeNaN();
    expect(Number.isFinite(at('run-0000', 'weights:layers.0.weight.mean'))).toBe(true);
  }, 120_000);

  it('all-zero layers: every graph property is a finite number', async () => {
    const zero = copyZoo('zero');
    for (const id of ids) await editCheckpoint(join(zero, id, 'checkpoints', 'epoch-0001.safetensors'), (name, data) => name === 'layers.0.weight' && data.fill(0));
    const { properties } = await checkpointProperties(join(zero, 'run-0000', 'checkpoints', 'epoch-0001.safetensors'));
    const numbers = numbersIn(propertiesToJson(properties, true));
    expect(numbers.length).toBeGreaterThan(100);
    expect(numbers.every(Number.isFinite)).toBe(true);
    expectDefined(await evaluateZoos([zero], spec([0, 1])), RUNS);
  }, 120_000);

  it('a single-run zoo: a clear error', async () => {
    const single = copyZoo('single', ['run-0000']);
    await expect(evaluateZoos([single], spec([0, 1]))).rejects.toThrow(new PredictError('evaluate', 'need at least 4 runs with a final accuracy, got 1'));
  });

  it('a zoo too small for its folds: a clear error, not an estimator failing on one row', async () => {
    const four = copyZoo('four', ids.slice(0, 4));
    const error = await evaluateZoos([four], spec([0, 1], 2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PredictError);
    expect((error as Error).message).toBe(
      'pipeline: 2 training runs are too few: choosing the estimator by 2-fold inner cross-validation would fit on 1 run, and fitting needs 2 (use more runs, or more cross-validation folds so that each trains on more)',
    );
  }, 60_000);

  it('a zoo where every run diverged: features of the finite snapshots, a defined evaluation', async () => {
    const diverged = copyZoo('diverged');
    for (const id of ids) {
      const file = join(diverged, id, 'run.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      manifest.diverged_at_epoch = 1;
      manifest.history = manifest.history.slice(0, 2);
      Object.assign(manifest.history[1], { train_loss: null, test_loss: null });
      writeFileSync(file, JSON.stringify(manifest));
      await editCheckpoint(join(diverged, id, 'checkpoints', 'epoch-0001.safetensors'), (_name, data) => data.fill(NaN));
    }
    const result = await evaluateZoos([diverged], spec([0, 1]));
    expectDefined(result, RUNS);
    expect(Array.from(result.table.diverged)).toEqual(new Array(RUNS).fill(1));
    // Epoch 0 is finite in every run: its graph features are there.
    const epoch0 = result.table.columns.findIndex((c) => c.startsWith('graph:e0.'));
    expect(epoch0).toBeGreaterThanOrEqual(0);
    for (let r = 0; r < RUNS; r++) expect(Number.isFinite(result.table.matrix[r * result.table.columns.length + epoch0])).toBe(true);
  }, 120_000);

  it('constant features: each fold predicts one value, its training runs\' level, and no error', async () => {
    const rows = 12;
    const columns = ['curve:e0.test_acc', 'curve:e0.train_acc', 'curve:e0.test_loss', 'curve:e0.train_loss'];
    const table: FeatureTable = {
      runs: Array.from({ length: rows }, (_, i) => `zoo/run-${i}`),
      ids: Array.from({ length: rows }, (_, i) => `run-${i}`),
      targets: Float64Array.from({ length: rows }, (_, i) => 0.5 + i / 40),
      groups: Array.from({ length: rows }, (_, i) => `group-${i}`),
      diverged: new Uint8Array(rows),
      configs: Array.from({ length: rows }, () => ({ dataset: 'mnist' })),
      columns,
      matrix: new Float64Array(rows * columns.length).fill(0.25),
    };
    const curve = findMethod('curve') as Method;
    const result = await evaluateTables(table, evaluationSpec({ window: [0], folds: 3, methods: [curve] }));
    const [evaluation] = result.evaluations;
    expect(evaluation.n).toBe(rows);
    const predicted = Array.from(evaluation.predictions.predicted);
    // Nothing to learn from: one value per fold (three folds), inside the targets' range.
    expect(new Set(predicted).size).toBeLessThanOrEqual(3);
    expect(predicted.every((p) => p >= 0.5 && p <= 0.5 + 11 / 40)).toBe(true);
    expect(Number.isFinite(evaluation.mae)).toBe(true);
    expect(evaluation.r2).toBeLessThanOrEqual(0);
  });

  it('a window longer than the runs: a clear error naming the run and the missing epoch', async () => {
    const error = await evaluateZoos([zoo], spec([0, 1, 2, 3, 4, 5])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFormatError);
    expect((error as Error).message).toBe(`${join(zoo, 'run-0000')}: no checkpoint for epoch 3 of the window 0-5 (checkpoints: 0, 1, 2)`);
  });

  it('an empty zoo directory: a clear error', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(evaluateZoos([empty], spec([0, 1]))).rejects.toThrow(RunFormatError);
  });
});
