/**
 * The Small CNN Zoo and Model Zoos importers on fixtures in the zoos' published layouts
 * (scripts/make-import-fixtures.py).
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { listZoo, readRun } from '../../src/checkpoint/run.js';
import { importCnnZoo } from '../../src/importers/cnn-zoo.js';
import { ImportError } from '../../src/importers/errors.js';
import { importModelZoos } from '../../src/importers/model-zoos.js';
import { parseCheckpointSelection, selectEpochs } from '../../src/importers/selection.js';
import { checkpointProperties } from '../../src/properties/compute.js';
import { listFiles, runCli, tempDir } from '../helpers.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'import');
const CNN_ZOO = join(FIXTURES, 'cnn-zoo');
const MODEL_ZOOS = join(FIXTURES, 'model-zoos');

/** weights.npy rows as float32 arrays (the fixture is a version-1 header, C order, '<f4'). */
function weightRows(): Float32Array[] {
  const bytes = readFileSync(join(CNN_ZOO, 'weights.npy'));
  const headerLength = bytes.readUInt16LE(8);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
  return Array.from({ length: data.length / 4970 }, (_, r) => data.subarray(r * 4970, (r + 1) * 4970));
}

/** metrics.csv.gz rows as records. */
function metricRows(): Record<string, string>[] {
  const [header, ...lines] = gunzipSync(readFileSync(join(CNN_ZOO, 'metrics.csv.gz'))).toString('utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

describe('checkpoint selection', () => {
  it('keeps the listed epochs and each run\'s last one', () => {
    const selection = parseCheckpointSelection('0-3,last');
    expect(selectEpochs(selection, [0, 1, 2, 3, 20, 40, 86])).toEqual([0, 1, 2, 3, 86]);
    expect(selectEpochs(selection, [0, 1, 2])).toEqual([0, 1, 2]);
    expect(selectEpochs(parseCheckpointSelection('all'), [3, 0])).toEqual([0, 3]);
  });

  it('refuses anything else, naming the option', () => {
    expect(() => parseCheckpointSelection('0-3,first')).toThrow(/--epochs: expected epochs such as 0-3,last or all/);
    expect(() => parseCheckpointSelection('5-2')).toThrow(/--epochs: range 5-2 is empty/);
  });
});

describe('Small CNN Zoo importer', () => {
  it('writes one run per modeldir with the chosen checkpoints and the whole history', async () => {
    const out = join(tempDir(), 'zoo');
    const summary = await importCnnZoo(CNN_ZOO, out, { selection: parseCheckpointSelection('0-3,last') });
    expect(summary).toMatchObject({ runs: 2, checkpoints: 9 });
    const runs = await Promise.all((await listZoo(out)).map((path) => readRun(path)));
    const byDir = new Map(runs.map((r) => [r.config.modeldir, r]));
    const complete = byDir.get('/tmp/zoo/cifar10/run_A');
    const crashed = byDir.get('/tmp/zoo/cifar10/run_B');
    expect(complete?.checkpoints.map((c) => c.epoch)).toEqual([0, 1, 2, 3, 86]);
    expect(complete?.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3, 20, 40, 60, 80, 86]);
    expect(crashed?.checkpoints.map((c) => c.epoch)).toEqual([0, 1, 2, 3]);
    expect(complete?.config).toMatchObject({ learning_rate: 0.01, optimizer: 'sgd', source: 'Small CNN Zoo' });
  });

  it('stores each row in PyTorch\'s layout: conv [out, in, kh, kw] from Keras\' [kh, kw, in, out], dense [out, in]', async () => {
    const out = join(tempDir(), 'zoo');
    await importCnnZoo(CNN_ZOO, out, { selection: parseCheckpointSelection('all') });
    const rows = weightRows();
    const metrics = metricRows();
    // The row holding run A's final checkpoint (step 86 x 157 steps per epoch).
    const r = metrics.findIndex((m) => m.modeldir.endsWith('run_A') && Number(m.step) === 86 * 157);
    const run = (await Promise.all((await listZoo(out)).map((p) => readRun(p)))).find((x) => x.config.modeldir === metrics[r].modeldir);
    const { tensors } = await readCheckpoint(run?.checkpoints.find((c) => c.epoch === 86)?.path as string);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const conv = byName.get('conv2d_1.weight');
    expect(conv?.shape).toEqual([16, 16, 3, 3]);
    // Keras kernel element [y, x, i, o] sits at column 160 + ((y * 3 + x) * 16 + i) * 16 + o.
    for (const [o, i, y, x] of [[0, 0, 0, 0], [5, 3, 1, 2], [15, 15, 2, 2]]) {
      expect((conv?.data as Float32Array)[((o * 16 + i) * 3 + y) * 3 + x]).toBe(rows[r][160 + ((y * 3 + x) * 16 + i) * 16 + o]);
    }
    const dense = byName.get('dense.weight');
    expect(dense?.shape).toEqual([10, 16]);
    expect((dense?.data as Float32Array)[7 * 16 + 4]).toBe(rows[r][4800 + 4 * 10 + 7]);
    expect(Array.from(byName.get('dense.bias')?.data as Float32Array)).toEqual(Array.from(rows[r].subarray(4960, 4970)));
  });

  it('gives checkpoints whose graph properties need no spec (global average pooling recorded)', async () => {
    const out = join(tempDir(), 'zoo');
    await importCnnZoo(CNN_ZOO, out, { selection: parseCheckpointSelection('0') });
    const run = await readRun((await listZoo(out))[0]);
    const { properties, graph } = await checkpointProperties(run.checkpoints[0].path, {});
    expect(graph.architectureSource).toBe('checkpoint');
    expect(graph.architecture.layers.map((l) => l.type)).toContain('pool');
    expect(properties.layers.map((l) => [l.name, l.size])).toEqual([
      ['input', 1],
      ['conv2d', 16],
      ['conv2d_1', 16],
      ['conv2d_2', 16],
      ['dense', 10],
    ]);
  });

  it('refuses weights and metrics of different lengths, leaving nothing at --out', async () => {
    const dir = tempDir();
    cpSync(CNN_ZOO, dir, { recursive: true });
    const [header, ...lines] = gunzipSync(readFileSync(join(dir, 'metrics.csv.gz'))).toString('utf8').trim().split('\n');
    rmSync(join(dir, 'metrics.csv.gz'));
    writeFileSync(join(dir, 'metrics.csv'), [header, ...lines.slice(1)].join('\n'));
    const parent = tempDir();
    const error = await importCnnZoo(dir, join(parent, 'zoo'), { selection: parseCheckpointSelection('all') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toBe(`${join(dir, 'weights.npy')}: has 13 rows but ${join(dir, 'metrics.csv')} has 12`);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('exits 2 naming the missing file, and refuses a non-empty --out', async () => {
    const dir = tempDir();
    cpSync(CNN_ZOO, dir, { recursive: true });
    rmSync(join(dir, 'layout.csv'));
    const missing = await runCli(['import', 'cnn-zoo', dir, '--out', join(dir, 'zoo')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`epochgraph: ${dir}: has no layout.csv: not a Small CNN Zoo dataset folder\n`);
    expect(existsSync(join(dir, 'zoo'))).toBe(false);
    const taken = await runCli(['import', 'cnn-zoo', CNN_ZOO, '--out', dir]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe(`epochgraph: ${dir}: exists and is not empty; give a new folder with --out\n`);
  });
});

describe('Model Zoos importer', () => {
  const trials = readdirSync(MODEL_ZOOS).sort();

  it('writes one run per model: params.json as config, result.json as history, checkpoints copied', async () => {
    const out = join(tempDir(), 'zoo');
    const summary = await importModelZoos(MODEL_ZOOS, out, { selection: parseCheckpointSelection('0,last') });
    expect(summary).toMatchObject({ runs: 2, checkpoints: 4 });
    const run = await readRun(join(out, trials[1]));
    const params = JSON.parse(readFileSync(join(MODEL_ZOOS, trials[1], 'params.json'), 'utf8')) as Record<string, unknown>;
    expect(run.config).toEqual({ ...params, source: 'Model Zoos' });
    expect(run.checkpoints.map((c) => c.epoch)).toEqual([0, 3]);
    // Epoch 0 evaluates the initial weights: the zoo's -999 for training metrics becomes null.
    expect(run.history[0]).toEqual({ epoch: 0, train_loss: null, train_acc: null, test_loss: 2.3, test_acc: 0.1 + 0.05 });
    expect(run.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(readFileSync(run.checkpoints[1].path)).toEqual(readFileSync(join(MODEL_ZOOS, trials[1], 'checkpoint_000003', 'checkpoints')));
  });

  it('refuses a folder without model folders, writing nothing', async () => {
    const dir = tempDir();
    const { code, stderr } = await runCli(['import', 'model-zoos', dir, '--out', join(dir, 'zoo')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/holds no model folders \(with params.json and result.json\)/);
    expect(listFiles(dir)).toEqual([]);
  });

  it('refuses an accuracy that is not a fraction, naming the file and line', async () => {
    const dir = tempDir();
    cpSync(MODEL_ZOOS, dir, { recursive: true });
    const file = join(dir, trials[0], 'result.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"test_acc": 0.5', '"test_acc": 50.0'));
    const parent = tempDir();
    const error = await importModelZoos(dir, join(parent, 'zoo'), { selection: parseCheckpointSelection('all') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toBe(`${file}: line 3: test_acc = 50 is not a fraction in [0, 1]`);
    expect(readdirSync(parent)).toEqual([]);
  });
});
