/**
 * Model files: a fitted predictor with everything needed to use it safely later: the
 * method and its feature columns, the feature layout, the epoch window, the architectures
 * and datasets it was fitted on, the library version, and its cross-validated metrics.
 */
import { createRequire } from 'node:module';
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
  /** Cross-validated metrics of this method on the training zoo. */
  readonly cross_validation: Metrics & { readonly folds: number };
  readonly pipeline: PipelineJson;
}

/** The package version. */
export function libraryVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/** Writes a model file atomically. */
export async function writeModelFile(file: string, model: ModelFile): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(model)}\n`);
}

/** Reads and checks a model file. Returns it; throws `EpochgraphError` naming the file for anything malformed. */
export async function readModelFile(file: string): Promise<ModelFile> {
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
  return model as ModelFile;
}
