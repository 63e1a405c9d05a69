/**
 * Importer of the Model Zoos (Schürholt, Taskiran, Knyazev, Giró-i-Nieto, Borth 2022,
 * "Model Zoos: A Dataset of Diverse Populations of Neural Network Models", NeurIPS Datasets
 * and Benchmarks; layout as written by ModelZoos/ModelZooDataset's ray-tune trainable and
 * read by its checkpoints_to_datasets/dataset_base.py).
 *
 * A zoo folder holds one folder per model (a ray-tune trial) with:
 * - `params.json`: the model's configuration (`model::type`, `optim::lr`, `seed`, ...);
 * - `result.json`: one JSON object per line, one line per epoch in order, with
 *   `train_loss`, `train_acc`, `test_loss`, `test_acc` and `training_iteration`; the first
 *   line evaluates the initial weights before any training and records -999 for the
 *   training loss and accuracy (not measured);
 * - `checkpoint_<epoch>/checkpoints` (epoch zero-padded to six digits, or not): the
 *   model's state_dict written by `torch.save`.
 * Epoch e is the (e+1)-th result line (training_iteration - the first line's), and
 * `checkpoint_<e>` its weights. Folders without params.json and result.json are skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint } from '../checkpoint/open.js';
import { checkpointFileName, CHECKPOINT_DIR } from '../checkpoint/run.js';
import type { HistoryEntry } from '../checkpoint/run.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { compareNatural } from '../util/natural-sort.js';
import { ImportError } from './errors.js';
import { STAGED_WRITE, createZooOutput } from './output.js';
import type { ImportSummary } from './output.js';
import type { CheckpointSelection } from './selection.js';
import { selectEpochs } from './selection.js';

/** The value the Model Zoos record for metrics that were not measured. */
const NOT_MEASURED = -999;

/** Options of `importModelZoos`. */
export interface ModelZoosImportOptions {
  readonly selection: CheckpointSelection;
  /** Called after each model with models done and models in all. */
  readonly onProgress?: (done: number, total: number) => void;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads result.json: one history entry per line, epochs counted from the first line. */
async function readResults(file: string): Promise<HistoryEntry[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ImportError(file, `cannot read (${error.code})`);
  });
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let firstIteration: number | undefined;
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ImportError(file, `line ${i + 1} is not JSON`);
    }
    if (!isObject(value)) throw new ImportError(file, `line ${i + 1} is not a JSON object`);
    const iteration = typeof value.training_iteration === 'number' ? value.training_iteration : i + 1;
    firstIteration ??= iteration;
    const metric = (key: string, fraction: boolean): number | null => {
      const v = value[key];
      if (v === undefined || v === null || v === NOT_MEASURED || (typeof v === 'number' && !Number.isFinite(v))) return null;
      if (typeof v !== 'number') throw new ImportError(file, `line ${i + 1}: ${key} is not a number`);
      if (fraction && (v < 0 || v > 1)) throw new ImportError(file, `line ${i + 1}: ${key} = ${v} is not a fraction in [0, 1]`);
      return v;
    };
    return {
      epoch: iteration - firstIteration,
      train_loss: metric('train_loss', false),
      train_acc: metric('train_acc', true),
      test_loss: metric('test_loss', false),
      test_acc: metric('test_acc', true),
    };
  });
}

/** The model's checkpoints: epoch -> path of `checkpoint_<epoch>/checkpoints`. */
async function listCheckpoints(folder: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (const name of await readdir(folder)) {
    const match = /^checkpoint_(\d+)$/.exec(name);
    if (!match) continue;
    const file = join(folder, name, 'checkpoints');
    if (!(await exists(file))) continue;
    const epoch = Number(match[1]);
    if (found.has(epoch)) throw new ImportError(folder, `has two checkpoint folders for epoch ${epoch}`);
    found.set(epoch, file);
  }
  return found;
}

/**
 * Imports a Model Zoos folder into a zoo of runs at `out` (docs/run-format.md): one run per
 * model folder, the selected checkpoints copied as `.pt` files (checked readable first),
 * the result history in run.json, params.json as the run's config. Returns what was
 * written; throws `ImportError` (or the checkpoint reader's error) naming the file that
 * does not follow the layout, leaving nothing at `out`.
 */
export async function importModelZoos(dir: string, out: string, options: ModelZoosImportOptions): Promise<ImportSummary> {
  const names = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ImportError(dir, `cannot list (${error.code})`);
  });
  const models: string[] = [];
  for (const entry of names.filter((e) => e.isDirectory()).sort((a, b) => compareNatural(a.name, b.name))) {
    const folder = join(dir, entry.name);
    if ((await exists(join(folder, 'params.json'))) && (await exists(join(folder, 'result.json')))) models.push(entry.name);
  }
  if (models.length === 0) throw new ImportError(dir, 'holds no model folders (with params.json and result.json): not a Model Zoos folder');
  const output = await createZooOutput(out);
  let checkpoints = 0;
  let bytesRead = 0;
  let weightSeconds = 0;
  try {
    for (const [i, model] of models.entries()) {
      const folder = join(dir, model);
      const paramsFile = join(folder, 'params.json');
      let params: unknown;
      try {
        params = JSON.parse(await readFile(paramsFile, 'utf8'));
      } catch (error) {
        throw new ImportError(paramsFile, `is not valid JSON (${(error as Error).message})`);
      }
      if (!isObject(params)) throw new ImportError(paramsFile, 'is not a JSON object');
      const history = await readResults(join(folder, 'result.json'));
      const available = await listCheckpoints(folder);
      if (available.size === 0) throw new ImportError(folder, 'has no checkpoint_<epoch>/checkpoints files');
      const run = await output.runFolder(model);
      for (const epoch of selectEpochs(options.selection, [...available.keys()])) {
        const source = available.get(epoch) as string;
        // Refuse unreadable or unsafe checkpoints now rather than when the zoo is used.
        const started = performance.now();
        const reader = await openCheckpoint(source, { format: 'pytorch' });
        await reader.close();
        const bytes = await readFile(source);
        await writeFileAtomic(join(run, CHECKPOINT_DIR, checkpointFileName(epoch, 'pytorch')), bytes, STAGED_WRITE);
        bytesRead += bytes.length;
        weightSeconds += (performance.now() - started) / 1000;
        checkpoints++;
      }
      await output.writeManifest(model, { id: model, config: { ...params, source: 'Model Zoos' }, history });
      options.onProgress?.(i + 1, models.length);
    }
    await output.commit();
  } catch (error) {
    await output.abandon();
    throw error;
  }
  return { out, runs: models.length, checkpoints, bytesRead, weightSeconds };
}
