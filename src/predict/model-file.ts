/**
 * Model files: a fitted predictor with everything needed to use it safely later: the
 * method and its feature columns, the feature layout, the epoch window, the architectures
 * and datasets it was fitted on, the library version, its cross-validated metrics, and the
 * range each feature column took over the training runs (what the estimator has seen).
 *
 * The name `builtin` is reserved: it stands for the model shipped in the package
 * (models/builtin.json, fitted by scripts/fit-builtin.ts; docs/builtin-model.md), wherever
 * the package is installed and whatever the working directory.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EpochgraphError } from '../errors.js';
import type { FeatureBlock } from '../summary/features.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/json-file.js';
import type { Metrics } from './evaluate.js';
import type { PipelineJson } from './pipeline.js';

export const MODEL_FORMAT = 'epochgraph-model';
/** Version 2 spells the pipeline's half-width `half_width`; version 1 files (`halfWidth`) are still read. */
export const MODEL_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2];

/** The contents of a model file. */
export interface ModelFile {
  readonly format: typeof MODEL_FORMAT;
  readonly version: number;
  readonly epochgraph_version: string;
  readonly method: string;
  readonly blocks: readonly FeatureBlock[];
  readonly layout: FeatureLayout;
  readonly window: readonly number[];
  /** Architectures (`config.arch`, or "unknown") of the training runs. */
  readonly architectures: readonly string[];
  readonly datasets: readonly string[];
  /** Feature columns, in the estimator's column order. */
  readonly columns: readonly string[];
  readonly training_runs: number;
  /** Training runs per architecture and dataset, keyed `arch/dataset` (absent in files written before it). */
  readonly runs_per_cell?: Readonly<Record<string, number>>;
  /** The zoos fitted on, as given (absent when not recorded). */
  readonly zoos?: readonly string[];
  /**
   * Smallest and largest value of each feature column over the training runs, in `columns`
   * order (null: the column was missing in every training run). Absent in files written before it.
   */
  readonly training_range?: { readonly min: readonly (number | null)[]; readonly max: readonly (number | null)[] };
  /** With the built-in model as the prior: the SHA-256 of the built-in model file fitted over. */
  readonly prior_model_sha256?: string;
  /** Cross-validated metrics of this method on the training zoo. */
  readonly cross_validation: Metrics & { readonly folds: number };
  readonly pipeline: PipelineJson;
}

/** The reserved name of the model shipped in the package. */
export const BUILTIN_MODEL = 'builtin';

/** The shipped model's file: models/builtin.json at the package's root (the same from src/predict and dist/predict). */
export const BUILTIN_MODEL_FILE = fileURLToPath(new URL('../../models/builtin.json', import.meta.url));

/** The package version. */
export function libraryVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/** Writes a model file atomically. */
export async function writeModelFile(file: string, model: ModelFile): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(model)}\n`);
}

/** The file a model name stands for: the shipped model's for `BUILTIN_MODEL`, else the name as a path. */
export function modelFilePath(name: string): string {
  return name === BUILTIN_MODEL ? BUILTIN_MODEL_FILE : name;
}

/**
 * Reads and checks the model file `name` (a path, or `BUILTIN_MODEL`). Returns it; throws
 * `EpochgraphError` naming the file for anything malformed, or for a model fitted over
 * another built-in model than the one shipped.
 */
export async function readModelFile(name: string): Promise<ModelFile> {
  const file = modelFilePath(name);
  const model = (await readJsonFile(file, 'model file')) as Partial<ModelFile>;
  if (typeof model !== 'object' || model === null || model.format !== MODEL_FORMAT) {
    throw new EpochgraphError(`${file}: not an epochgraph model file (write one with epochgraph fit)`);
  }
  if (!READABLE_VERSIONS.includes(model.version as number)) {
    throw new EpochgraphError(`${file}: model format version ${model.version} is not supported (this epochgraph reads ${READABLE_VERSIONS.join(' and ')})`);
  }
  for (const key of ['method', 'blocks', 'layout', 'window', 'columns', 'pipeline'] as const) {
    if (model[key] === undefined) throw new EpochgraphError(`${file}: model file lacks "${key}"`);
  }
  // A correction learned over one built-in model's predictions means nothing over another's.
  if (model.prior_model_sha256 !== undefined) {
    const shipped = await builtinModelSha256();
    if (model.prior_model_sha256 !== shipped) {
      throw new EpochgraphError(
        `${file}: fitted over another built-in model (SHA-256 ${String(model.prior_model_sha256).slice(0, 12)}, this epochgraph ships ${shipped.slice(0, 12)}); refit it with epochgraph fit --prior builtin`,
      );
    }
  }
  return model as ModelFile;
}

/** The SHA-256 (hex) of the shipped model's file, which a model fitted over it records. */
export async function builtinModelSha256(): Promise<string> {
  return createHash('sha256').update(await readFile(BUILTIN_MODEL_FILE)).digest('hex');
}
