/**
 * Using predictors on feature tables, shared by `fit`, `predict` and the report: fitting
 * a method into a model file, and applying a model file to runs after checking they fit it.
 */
import { EpochgraphError, OptionError } from '../errors.js';
import { WHOLE_GRAPH, curveColumn, parseColumn, parseGraphFeature, parseTemporalFeature } from '../summary/columns.js';
import { FEATURE_BLOCKS } from '../summary/features.js';
import type { FeatureBlock } from '../summary/features.js';
import { buildFeatureTable, labelledRows } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { formatEpochs } from '../util/epochs.js';
import { selectColumns } from './evaluate.js';
import type { MethodEvaluation } from './evaluate.js';
import { findMethod, methodColumns, priorColumn } from './evaluate-methods.js';
import type { Method } from './evaluate-methods.js';
import { evaluateTables, specBlocks } from './evaluation.js';
import type { EvaluationSpec } from './evaluation.js';
import { selectRows } from './matrix.js';
import { MODEL_FORMAT, MODEL_VERSION, libraryVersion } from './model-file.js';
import type { ModelFile } from './model-file.js';
import { PredictorPipeline } from './pipeline.js';
import type { Prediction } from './pipeline.js';

/** Feature blocks whose columns depend on the architecture (per-layer names). */
const STRUCTURAL = new Set(['graph', 'graph-static', 'weights']);

/** Every row's prediction by the prior `prior` (a direct method), or undefined without one. */
function priorValues(table: FeatureTable, prior: string | null, window: readonly number[]): Float64Array | undefined {
  return prior === null ? undefined : selectColumns(table, [priorColumn(prior, window[window.length - 1])]).data;
}

/** The spec's one method, if it has a model to fit. Returns it; throws `OptionError` (field `method`) otherwise. */
export function fittableMethod(spec: EvaluationSpec): Method {
  if (spec.methods.length !== 1) throw new OptionError('method', `fit takes one method, got ${spec.methods.length}`);
  const [method] = spec.methods;
  if (method.direct) throw new OptionError('method', `${method.name} reads a feature as is and has no model to fit`);
  return method;
}

/**
 * Cross-validates the spec's one method on `table`, then fits it on every labelled run.
 * Returns the model file contents, the cross-validated evaluation and the fitted pipeline;
 * throws `OptionError` (field `method`) for a method without a model.
 */
export async function fitModel(table: FeatureTable, spec: EvaluationSpec): Promise<{ model: ModelFile; evaluation: MethodEvaluation; pipeline: PredictorPipeline }> {
  const { layout, window, folds } = spec;
  const method = fittableMethod(spec);
  const [evaluation] = (await evaluateTables(table, spec)).evaluations;
  const rows = labelledRows(table);
  const columns = methodColumns(table, method);
  const prior = priorValues(table, spec.pipeline.prior ?? null, window);
  const pipeline = new PredictorPipeline({ seed: spec.seed, ...spec.pipeline }).fit(
    selectRows(selectColumns(table, columns), rows),
    rows.map((i) => table.targets[i]),
    rows.map((i) => table.groups[i]),
    prior && rows.map((i) => prior[i]),
  );
  const distinct = (key: string) => [...new Set(table.configs.map((c) => (typeof c[key] === 'string' ? (c[key] as string) : 'unknown')))].sort();
  const { predictions: _predictions, chosen: _chosen, name: _name, description: _description, learned: _learned, ...metrics } = evaluation;
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    epochgraph_version: libraryVersion(),
    method: method.name,
    // The prior's blocks too: predicting reads its prediction from them.
    blocks: specBlocks(spec),
    layout,
    window,
    architectures: distinct('arch'),
    datasets: distinct('dataset'),
    columns,
    training_runs: rows.length,
    cross_validation: { ...metrics, folds },
    pipeline: pipeline.toJSON(),
  };
  return { model, evaluation, pipeline };
}

/**
 * Predicts every run of `table` (built with the model's window, layout and blocks) with
 * `model`. Returns the predictions in row order and the restored pipeline; throws
 * `EpochgraphError` for a run whose architecture has features the model never saw, or
 * that lacks the learning curve up to the window's end.
 */
export function modelPredictions(model: ModelFile, table: FeatureTable): { predictions: Prediction; pipeline: PredictorPipeline } {
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
      throw new EpochgraphError(
        `${run}: its architecture does not fit the model (fitted on ${model.architectures.join(', ')} with ${model.layout} features; e.g. ${parseColumn(foreign).feature} is new); a model fitted with the agnostic layout predicts other architectures`,
      );
    }
    if (model.blocks.includes('curve') && (lastAcc < 0 || Number.isNaN(table.matrix[r * width + lastAcc]))) {
      throw new EpochgraphError(`${run}: history has no test_acc for epoch ${end}, the end of the model's window ${formatEpochs(model.window)}`);
    }
  });
  const pipeline = PredictorPipeline.fromJSON(model.pipeline);
  return { pipeline, predictions: pipeline.predict(selectColumns(table, model.columns), priorValues(table, pipeline.options.prior, model.window)) };
}

/** One run's predicted final test accuracy with its interval (fractions). */
export interface RunPrediction {
  readonly run: string;
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * Extracts the model's features of `runDirs` and predicts each run. Returns the feature
 * table and one prediction per run, in order; throws as `buildFeatureTable` and
 * `modelPredictions` do (a missing window checkpoint, a foreign architecture).
 */
export async function predictRuns(model: ModelFile, runDirs: readonly string[]): Promise<{ table: FeatureTable; predictions: RunPrediction[] }> {
  const blocks = model.blocks.filter((b): b is FeatureBlock => (FEATURE_BLOCKS as readonly string[]).includes(b));
  const table = await buildFeatureTable(runDirs, { window: model.window, layout: model.layout, blocks });
  const { predictions } = modelPredictions(model, table);
  return { table, predictions: table.runs.map((run, i) => ({ run, predicted: predictions.predicted[i], lower: predictions.lower[i], upper: predictions.upper[i] })) };
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
