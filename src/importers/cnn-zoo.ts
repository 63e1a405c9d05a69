/**
 * Importer of the Small CNN Zoo (Unterthiner et al. 2020, "Predicting Neural Network
 * Accuracy from Weights", arXiv:2002.11448; layout documented in the README of
 * google-research/dnn_predict_accuracy).
 *
 * One dataset's folder holds:
 * - `weights.npy`: float32 `[checkpoints, parameters]`, one flattened network per row;
 * - `layout.csv`: which columns of a row belong to which variable (`varname`,
 *   `start_idx`, `end_idx` exclusive, `shape` as a Python tuple), Keras names such as
 *   `sequential/conv2d/kernel:0` in Keras' layout;
 * - `metrics.csv.gz` (or `metrics.csv`): one row per weights row, in the same order, with
 *   the `config.*` hyperparameters, `modeldir` (the run), `step`, `train_accuracy`,
 *   `test_accuracy`, `train_loss`, `test_loss`.
 * Checkpoints were taken at epochs 0, 1, 2, 3, 20, 40, 60, 80 and 86; the files give the
 * training step, so a run's epochs are `step / steps per epoch`, with steps per epoch the
 * run's smallest positive step (its epoch-1 checkpoint).
 *
 * The import streams: metrics are read once into compact arrays, then weights.npy is read
 * in blocks of rows and each kept row is written at once as a safetensors checkpoint in
 * PyTorch's layout, so memory stays flat however large the file is.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointFileName, CHECKPOINT_DIR } from '../checkpoint/run.js';
import type { HistoryEntry } from '../checkpoint/run.js';
import { kerasToPytorch, roleOfWeightName } from '../checkpoint/keras-layout.js';
import type { KerasLayer } from '../checkpoint/keras-layout.js';
import { openNpyRows } from '../checkpoint/numpy.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { elementCount, halfBitsToFloat32 } from '../checkpoint/tensor.js';
import type { DType, TensorData } from '../checkpoint/tensor.js';
import type { ArchitectureSpec, LayerSpec } from '../graph/architecture.js';
import { ARCHITECTURE_FORMAT } from '../graph/architecture.js';
import { ARCHITECTURE_METADATA_KEY } from '../graph/architecture-source.js';
import { forEachConcurrent } from '../util/concurrent.js';
import { readCsv } from './csv.js';
import { ImportError } from './errors.js';
import { STAGED_WRITE, createZooOutput } from './output.js';
import type { ImportSummary } from './output.js';
import type { CheckpointSelection } from './selection.js';
import { selectEpochs } from './selection.js';

/** Importer defaults. */
export const CNN_ZOO_DEFAULTS = Object.freeze({
  /** Bytes of weights.npy read per block. */
  blockBytes: 8 << 20,
  /** Files and folders written concurrently. */
  writeConcurrency: 16,
});

/** Options of `importCnnZoo`. */
export interface CnnZooImportOptions {
  /** Checkpoints to keep per run. */
  readonly selection: CheckpointSelection;
  /** Called after each block of rows with rows done and rows in all. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One variable of layout.csv. */
interface Variable {
  readonly layer: string;
  readonly role: string;
  readonly start: number;
  readonly shape: readonly number[];
}

/** Reads layout.csv. Returns the variables in column order and the row width. */
async function readLayout(file: string): Promise<{ variables: Variable[]; columns: number }> {
  const variables: (Variable & { end: number })[] = [];
  await readCsv(file, (record, index) => {
    const where = `row ${index + 1}`;
    for (const key of ['varname', 'start_idx', 'end_idx', 'shape']) {
      if (record[key] === undefined) throw new ImportError(file, `has no "${key}" column (expected varname, start_idx, end_idx, shape)`);
    }
    const start = Number(record.start_idx);
    const end = Number(record.end_idx);
    const shape = record.shape.replace(/[()[\]\s]/g, '').split(',').filter((s) => s !== '').map(Number);
    const count = elementCount(shape);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new ImportError(file, `${where}: start_idx ${record.start_idx} / end_idx ${record.end_idx} are not a column range`);
    if (count === undefined || count !== end - start) throw new ImportError(file, `${where}: shape ${record.shape} does not hold the ${end - start} columns [${start}, ${end})`);
    // `sequential/conv2d/kernel:0` -> layer `conv2d`, role `kernel`.
    const parts = record.varname.replace(/:\d+$/, '').split('/');
    if (parts.length < 2) throw new ImportError(file, `${where}: varname ${JSON.stringify(record.varname)} is not <layer>/<weight>`);
    variables.push({ layer: parts[parts.length - 2], role: roleOfWeightName(record.varname), start, end, shape });
  });
  if (variables.length === 0) throw new ImportError(file, 'lists no variables');
  const sorted = [...variables].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) throw new ImportError(file, `columns of ${sorted[i - 1].layer}/${sorted[i - 1].role} and ${sorted[i].layer}/${sorted[i].role} overlap`);
  }
  return { variables, columns: Math.max(...variables.map((v) => v.end)) };
}

/** The Keras layers of one row, in layout order. */
function rowLayers(variables: readonly Variable[], row: Float32Array): KerasLayer[] {
  const layers: { name: string; weights: KerasLayer['weights'][number][] }[] = [];
  for (const v of variables) {
    let layer = layers.at(-1);
    if (!layer || layer.name !== v.layer) {
      layer = { name: v.layer, weights: [] };
      layers.push(layer);
    }
    const count = elementCount(v.shape) as number;
    layer.weights.push({ role: v.role, dtype: 'F32', shape: v.shape, data: row.slice(v.start, v.start + count) });
  }
  return layers;
}

/** The zoo's network as a spec: its convs, then global average pooling and the dense layer(s). */
function zooArchitecture(file: string, layers: readonly KerasLayer[]): ArchitectureSpec {
  const first = layers[0]?.weights.find((w) => w.role === 'kernel');
  if (!first || first.shape.length !== 4) throw new ImportError(file, 'the first variable is not a conv kernel [kh, kw, in, out]');
  const spec: LayerSpec[] = [{ type: 'input', name: 'input', channels: first.shape[2] }];
  let pooled = false;
  for (const layer of layers) {
    const kernel = layer.weights.find((w) => w.role === 'kernel');
    if (!kernel) throw new ImportError(file, `layer ${layer.name} has no kernel`);
    const bias = layer.weights.some((w) => w.role === 'bias') ? { bias: `${layer.name}.bias` } : {};
    if (kernel.shape.length === 4) {
      spec.push({ type: 'conv', name: layer.name, weight: `${layer.name}.weight`, ...bias }, { type: 'activation', name: `${layer.name}.activation` });
    } else {
      if (!pooled) spec.push({ type: 'pool', name: 'global_average_pooling', mode: 'avg', output: 1 }, { type: 'flatten', name: 'flatten' });
      pooled = true;
      spec.push({ type: 'dense', name: layer.name, weight: `${layer.name}.weight`, ...bias });
    }
  }
  return { format: ARCHITECTURE_FORMAT, version: 1, layers: spec };
}

/** Metrics of all rows, column-wise. */
interface Metrics {
  readonly run: number[];
  readonly step: number[];
  readonly trainAcc: (number | null)[];
  readonly testAcc: (number | null)[];
  readonly trainLoss: (number | null)[];
  readonly testLoss: (number | null)[];
  readonly runs: { readonly modeldir: string; readonly config: Record<string, unknown>; readonly rows: number[] }[];
}

function configValue(text: string): unknown {
  if (text === '') return null;
  if (text === 'True' || text === 'False') return text === 'True';
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

async function readMetrics(file: string): Promise<Metrics> {
  const metrics: Metrics = { run: [], step: [], trainAcc: [], testAcc: [], trainLoss: [], testLoss: [], runs: [] };
  const byDir = new Map<string, number>();
  const value = (record: Readonly<Record<string, string>>, key: string, index: number, fraction: boolean): number | null => {
    const text = record[key];
    if (text === undefined) throw new ImportError(file, `has no "${key}" column`);
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) return null;
    if (fraction && (n < 0 || n > 1)) throw new ImportError(file, `row ${index + 1}: ${key} = ${text} is not a fraction in [0, 1]`);
    return n;
  };
  await readCsv(file, (record, index) => {
    const modeldir = record.modeldir;
    if (modeldir === undefined) throw new ImportError(file, 'has no "modeldir" column');
    let run = byDir.get(modeldir);
    if (run === undefined) {
      run = metrics.runs.length;
      byDir.set(modeldir, run);
      const config: Record<string, unknown> = {};
      for (const [key, text] of Object.entries(record)) if (key.startsWith('config.')) config[key.slice('config.'.length)] = configValue(text);
      metrics.runs.push({ modeldir, config, rows: [] });
    }
    const step = Number(record.step);
    if (record.step === undefined || !Number.isSafeInteger(step) || step < 0) throw new ImportError(file, `row ${index + 1}: step ${JSON.stringify(record.step)} is not a non-negative integer`);
    metrics.run.push(run);
    metrics.step.push(step);
    metrics.trainAcc.push(value(record, 'train_accuracy', index, true));
    metrics.testAcc.push(value(record, 'test_accuracy', index, true));
    metrics.trainLoss.push(value(record, 'train_loss', index, false));
    metrics.testLoss.push(value(record, 'test_loss', index, false));
    metrics.runs[run].rows.push(index);
  });
  return metrics;
}

/** The first of `names` present in `folder`. */
async function pick(folder: string, names: readonly string[]): Promise<string> {
  for (const name of names) {
    const path = join(folder, name);
    if (await access(path).then(() => true, () => false)) return path;
  }
  throw new ImportError(folder, `has no ${names.join(' or ')}: not a Small CNN Zoo dataset folder`);
}

/**
 * Imports a Small CNN Zoo dataset folder into a zoo of runs at `out` (docs/run-format.md):
 * one run per `modeldir`, the selected checkpoints as safetensors with the architecture in
 * their metadata, the whole metrics history in run.json. Returns what was written; throws
 * `ImportError` naming the file that does not follow the layout, leaving nothing at `out`.
 */
export async function importCnnZoo(dir: string, out: string, options: CnnZooImportOptions): Promise<ImportSummary> {
  const layoutFile = await pick(dir, ['layout.csv']);
  const metricsFile = await pick(dir, ['metrics.csv.gz', 'metrics.csv']);
  const weightsFile = await pick(dir, ['weights.npy']);
  const { variables, columns } = await readLayout(layoutFile);
  const metrics = await readMetrics(metricsFile);
  const rows = await openNpyRows(weightsFile);
  const output = await createZooOutput(out).catch(async (error: unknown) => {
    await rows.close();
    throw error;
  });
  try {
    if (rows.columns !== columns) throw new ImportError(weightsFile, `rows have ${rows.columns} columns but ${layoutFile} lays out ${columns}`);
    if (rows.dtype !== 'F32' && rows.dtype !== 'F64' && rows.dtype !== 'F16') throw new ImportError(weightsFile, `holds ${rows.dtype} values; expected floats`);
    if (rows.rows !== metrics.run.length) throw new ImportError(weightsFile, `has ${rows.rows} rows but ${metricsFile} has ${metrics.run.length}`);
    const width = String(Math.max(0, metrics.runs.length - 1)).length;
    const runNames = metrics.runs.map((_, i) => `run-${String(i).padStart(Math.max(5, width), '0')}`);
    // Each row's epoch, and whether its checkpoint is kept.
    const epochOf = new Array<number>(rows.rows);
    const keep = new Uint8Array(rows.rows);
    for (const run of metrics.runs) {
      const steps = run.rows.map((r) => metrics.step[r]);
      const perEpoch = Math.min(...steps.filter((s) => s > 0));
      const epochs = steps.map((s) => (Number.isFinite(perEpoch) ? Math.round(s / perEpoch) : 0));
      if (new Set(epochs).size !== epochs.length) throw new ImportError(metricsFile, `run ${run.modeldir} has two rows at epoch ${epochs.find((e, k) => epochs.indexOf(e) !== k)}`);
      run.rows.forEach((r, k) => (epochOf[r] = epochs[k]));
      const kept = new Set(selectEpochs(options.selection, epochs));
      run.rows.forEach((r, k) => (keep[r] = kept.has(epochs[k]) ? 1 : 0));
    }
    await forEachConcurrent(runNames, CNN_ZOO_DEFAULTS.writeConcurrency, (name) => output.runFolder(name).then(() => undefined));
    const sample = rowLayers(variables, new Float32Array(columns));
    const metadata = { [ARCHITECTURE_METADATA_KEY]: JSON.stringify(zooArchitecture(layoutFile, sample)), source: 'Small CNN Zoo' };
    const blockRows = Math.max(1, Math.floor(CNN_ZOO_DEFAULTS.blockBytes / (columns * 4)));
    let written = 0;
    let bytesRead = 0;
    const streamStart = performance.now();
    const fail = (detail: string) => new ImportError(weightsFile, detail);
    for (let first = 0; first < rows.rows; first += blockRows) {
      const count = Math.min(blockRows, rows.rows - first);
      const block = await rows.read(first, count);
      bytesRead += block.byteLength;
      const values = toFloat32(block, rows.dtype);
      const pending: Promise<void>[] = [];
      for (let k = 0; k < count; k++) {
        const r = first + k;
        if (!keep[r]) continue;
        const tensors = kerasToPytorch(rowLayers(variables, values.subarray(k * columns, (k + 1) * columns)), fail);
        const file = join(output.staging, runNames[metrics.run[r]], CHECKPOINT_DIR, checkpointFileName(epochOf[r]));
        pending.push(writeSafetensors(file, tensors, metadata, STAGED_WRITE));
        written++;
        if (pending.length >= CNN_ZOO_DEFAULTS.writeConcurrency) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      options.onProgress?.(first + count, rows.rows);
    }
    const weightSeconds = (performance.now() - streamStart) / 1000;
    await forEachConcurrent(metrics.runs, CNN_ZOO_DEFAULTS.writeConcurrency, async (run, i) => {
      const history: HistoryEntry[] = run.rows.map((r) => ({
        epoch: epochOf[r],
        train_loss: metrics.trainLoss[r],
        train_acc: metrics.trainAcc[r],
        test_loss: metrics.testLoss[r],
        test_acc: metrics.testAcc[r],
      }));
      history.sort((a, b) => a.epoch - b.epoch);
      await output.writeManifest(runNames[i], { id: runNames[i], config: { ...run.config, source: 'Small CNN Zoo', modeldir: run.modeldir }, history });
    });
    await output.commit();
    return { out, runs: metrics.runs.length, checkpoints: written, bytesRead, weightSeconds };
  } catch (error) {
    await output.abandon();
    throw error;
  } finally {
    await rows.close();
  }
}

/** A block of weights as float32 (the zoo stores float32; float16 and float64 files are converted). */
function toFloat32(block: TensorData, dtype: DType): Float32Array {
  if (dtype === 'F16') return halfBitsToFloat32(block as Uint16Array);
  return block instanceof Float32Array ? block : Float32Array.from(block as Float64Array);
}
