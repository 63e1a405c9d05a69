/**
 * Using model files on runs, shared by `predict`, `fit`, the report and the service:
 * applying a model after checking the runs fit it, how many of each run's features lie
 * outside the range the model was fitted on, and the built-in model's predictions as the
 * prior a learned method corrects.
 */
import { EpochgraphError } from '../errors.js';
import { WHOLE_GRAPH, curveColumn, parseColumn, parseGraphFeature, parseTemporalFeature } from '../summary/columns.js';
import { FEATURE_BLOCKS, runFeatures } from '../summary/features.js';
import type { FeatureBlock, RunFeatureOptions } from '../summary/features.js';
import { buildFeatureTable, withColumn } from '../summary/table.js';
import type { FeatureTable, TableProgress } from '../summary/table.js';
import { formatEpochs } from '../util/epochs.js';
import { UnsummarisableRunError } from './errors.js';
import { selectColumns } from './evaluate.js';
import { BUILTIN_PRIOR, BUILTIN_PRIOR_COLUMN, findMethod, methodColumns, priorColumn } from './evaluate-methods.js';
import type { Matrix } from './matrix.js';
import { BUILTIN_MODEL, readModelFile } from './model-file.js';
import type { ModelFile } from './model-file.js';
import { PredictorPipeline } from './pipeline.js';
import type { Prediction } from './pipeline.js';

/** Feature blocks whose columns depend on the architecture (per-layer names). */
const STRUCTURAL = new Set(['graph', 'graph-static', 'weights']);

/** How the built-in model is named in messages. */
const BUILTIN_LABEL = 'the built-in model';

/**
 * Every row's prediction by the prior `prior`, or undefined without one. Returns it; throws
 * `EpochgraphError` when the table lacks the built-in model's predictions for that prior.
 */
export function priorValues(table: FeatureTable, prior: string | null, window: readonly number[]): Float64Array | undefined {
  if (prior === null) return undefined;
  if (prior === BUILTIN_PRIOR && !table.columns.includes(BUILTIN_PRIOR_COLUMN)) {
    throw new EpochgraphError(`the feature table lacks ${BUILTIN_PRIOR_COLUMN}, the built-in model's predictions its prior reads (build it with zooFeatureTable or predictRuns)`);
  }
  return selectColumns(table, [priorColumn(prior, window[window.length - 1])]).data;
}

/** The feature options a model's features are built with: its window, layout and feature blocks. */
export function modelFeatureOptions(model: ModelFile): RunFeatureOptions {
  return { window: model.window, layout: model.layout, blocks: model.blocks.filter((b): b is FeatureBlock => (FEATURE_BLOCKS as readonly string[]).includes(b)) };
}

/** `error` as a run `model` cannot summarise, when it is bad input (anything else is rethrown as is). */
function unsummarisable(error: unknown, run: string, model: string): unknown {
  if (!(error instanceof EpochgraphError) || error instanceof UnsummarisableRunError) return error;
  const detail = error.message.startsWith(`${run}: `) ? error.message.slice(run.length + 2) : error.message;
  return new UnsummarisableRunError(run, model, detail);
}

/**
 * The features `options` of `runDirs`. Returns the table; with `label`, throws
 * `UnsummarisableRunError` naming that model for a run it cannot summarise (a missing window
 * checkpoint, a checkpoint no graph can be built from), else what `buildFeatureTable` throws.
 */
function featureTable(runDirs: readonly string[], options: RunFeatureOptions, label: string | undefined, onProgress?: TableProgress): Promise<FeatureTable> {
  if (label === undefined) return buildFeatureTable(runDirs, options, onProgress);
  return buildFeatureTable(runDirs, options, onProgress, (run, runOptions) =>
    runFeatures(run, runOptions).catch((error: unknown) => {
      throw unsummarisable(error, run.path, label);
    }),
  );
}

/**
 * Predicts every run of `table` (built with the model's window, layout and blocks and, with
 * the built-in model as the prior, its predictions: `priorFeatureTable`) with `model`, named
 * `label` in messages. Returns the predictions in row order and the restored pipeline;
 * throws `UnsummarisableRunError` for a run whose architecture has features the model never
 * saw, or that lacks the learning curve up to the window's end.
 */
export function modelPredictions(model: ModelFile, table: FeatureTable, label = 'the model'): { predictions: Prediction; pipeline: PredictorPipeline } {
  const known = new Set(model.columns);
  const checked = new Set<string>(model.blocks.filter((b) => STRUCTURAL.has(b)));
  const width = table.columns.length;
  const end = model.window[model.window.length - 1];
  const lastAcc = table.columns.indexOf(curveColumn(end, 'test_acc'));
  // Columns the method would learn from (of the graph block, the compact summary's alone for graph-compact).
  const method = findMethod(model.method);
  const used = new Set(method ? methodColumns(table, method) : table.columns);
  table.runs.forEach((run, r) => {
    const foreign = table.columns.find((c, k) => used.has(c) && checked.has(parseColumn(c).block) && !known.has(c) && !Number.isNaN(table.matrix[r * width + k]));
    if (foreign) {
      throw new UnsummarisableRunError(
        run,
        label,
        `its architecture does not fit the model (fitted on ${model.architectures.join(', ')} with ${model.layout} features; e.g. ${parseColumn(foreign).feature} is new); a model fitted with the agnostic layout predicts other architectures`,
      );
    }
    if (model.blocks.includes('curve') && (lastAcc < 0 || Number.isNaN(table.matrix[r * width + lastAcc]))) {
      throw new UnsummarisableRunError(run, label, `history has no test_acc for epoch ${end}, the end of the model's window ${formatEpochs(model.window)}`);
    }
  });
  const pipeline = PredictorPipeline.fromJSON(model.pipeline);
  return { pipeline, predictions: pipeline.predict(selectColumns(table, model.columns), priorValues(table, pipeline.options.prior, model.window)) };
}

/**
 * How many of each row's features in `X` (the model's columns) lie outside the model's
 * training range, and how many it has at all (missing values count in neither; a value in
 * a column that was missing in every training run counts as outside). Returns undefined
 * for a model file that records no training range.
 */
export function featuresOutOfRange(model: ModelFile, X: Matrix): { outside: Uint32Array; present: Uint32Array } | undefined {
  const range = model.training_range;
  if (range === undefined) return undefined;
  const outside = new Uint32Array(X.rows);
  const present = new Uint32Array(X.rows);
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < X.cols; c++) {
      const v = X.data[r * X.cols + c];
      if (Number.isNaN(v)) continue;
      present[r]++;
      const min = range.min[c];
      const max = range.max[c];
      if (min === null || max === null || v < min || v > max) outside[r]++;
    }
  }
  return { outside, present };
}

/**
 * The share of a run's features outside the training range above which a prediction is
 * extrapolation: twice what a run drawn like the training runs shows (it falls outside one
 * column's observed range with probability 2 / (n + 1) for n training runs, by
 * exchangeability), and at least 10%, since correlated columns leave the range together.
 */
export function outOfRangeLimit(model: ModelFile): number {
  return Math.max(0.1, 4 / (model.training_runs + 1));
}

/**
 * The features `options` of `runDirs` and, when `prior` is the built-in model, its prediction
 * of each run as the column `BUILTIN_PRIOR_COLUMN`, which the prior `builtin` reads. The
 * built-in reads its own features (its window, layout and blocks), built in the same pass
 * over the checkpoints when its window and layout are `options`'. `label` names the model
 * the features are for in the errors of runs it cannot summarise (none: `buildFeatureTable`'s
 * errors as they are). Returns the table; throws `UnsummarisableRunError` for a run the
 * built-in cannot summarise.
 */
export async function priorFeatureTable(
  runDirs: readonly string[],
  options: RunFeatureOptions,
  prior: string | null,
  { label, onProgress }: { readonly label?: string; readonly onProgress?: TableProgress } = {},
): Promise<FeatureTable> {
  if (prior !== BUILTIN_PRIOR) return featureTable(runDirs, options, label, onProgress);
  const builtin = await readModelFile(BUILTIN_MODEL);
  const own = modelFeatureOptions(builtin);
  const shared = formatEpochs(own.window) === formatEpochs(options.window) && own.layout === options.layout;
  const table = await featureTable(runDirs, shared ? { ...options, blocks: [...new Set([...options.blocks, ...own.blocks])] } : options, label, onProgress);
  const features = shared ? table : await featureTable(runDirs, own, BUILTIN_LABEL, onProgress);
  const { predicted } = modelPredictions(builtin, features, BUILTIN_LABEL).predictions;
  return withColumn(table, BUILTIN_PRIOR_COLUMN, predicted);
}

/** One run's predicted final test accuracy with its interval (fractions), and its features outside the training range. */
export interface RunPrediction {
  readonly run: string;
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
  /** Features outside the model's training range (null: the model file records none). */
  readonly out_of_range: number | null;
  /** `out_of_range` over the run's features present (null as above). */
  readonly out_of_range_share: number | null;
}

/**
 * Extracts the model's features of `runDirs` and predicts each run; `label` names the model
 * in messages. Returns the feature table and one prediction per run, in order; throws
 * `UnsummarisableRunError` for a run the model (or the built-in model as its prior) cannot
 * summarise.
 */
export async function predictRuns(model: ModelFile, runDirs: readonly string[], label = 'the model'): Promise<{ table: FeatureTable; predictions: RunPrediction[] }> {
  const table = await priorFeatureTable(runDirs, modelFeatureOptions(model), model.pipeline.prior?.method ?? null, { label });
  const { predictions } = modelPredictions(model, table, label);
  const range = featuresOutOfRange(model, selectColumns(table, model.columns));
  return {
    table,
    predictions: table.runs.map((run, i) => ({
      run,
      predicted: predictions.predicted[i],
      lower: predictions.lower[i],
      upper: predictions.upper[i],
      out_of_range: range ? range.outside[i] : null,
      out_of_range_share: range ? (range.present[i] === 0 ? 0 : range.outside[i] / range.present[i]) : null,
    })),
  };
}

/**
 * The layers a per-layer model's graph features name, or undefined when the model does
 * not depend on layer names (agnostic layout, or no graph block). Returns them sorted.
 */
export function modelLayers(model: ModelFile): string[] | undefined {
  if (model.layout !== 'per-layer') return undefined;
  const layers = new Set<string>();
  for (const column of model.columns) {
    const { block, feature } = parseColumn(column);
    if (block !== 'graph' && block !== 'graph-static') continue;
    const temporal = parseTemporalFeature(feature);
    if (temporal === undefined || temporal.term !== 'value') continue;
    const { layer } = parseGraphFeature(temporal.name);
    if (layer !== WHOLE_GRAPH) layers.add(layer);
  }
  return layers.size === 0 ? undefined : [...layers].sort();
}
