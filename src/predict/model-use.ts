/**
 * Using predictors on feature tables, shared by `fit`, `predict` and the report:
 * which rows can be learned from, fitting a method into a model file, and applying a
 * model file to runs after checking they fit it.
 */
import { EpochgraphError } from '../errors.js';
import type { FeatureTable } from '../summary/table.js';
import { columnsOf } from '../summary/table.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { formatEpochWindow } from '../summary/temporal.js';
import { evaluateMethods, selectColumns } from './evaluate.js';
import type { MethodEvaluation } from './evaluate.js';
import type { Method } from './evaluate-methods.js';
import { selectRows } from './matrix.js';
import type { ModelFile } from './model-file.js';
import { MODEL_FORMAT, MODEL_VERSION, libraryVersion } from './model-file.js';
import { PredictorPipeline } from './pipeline.js';
import type { PipelineOptions, Prediction } from './pipeline.js';

/** Feature blocks whose columns depend on the architecture (per-layer names). */
const STRUCTURAL = new Set(['graph', 'graph-static', 'weights']);

/** Rows of `table` with a recorded final accuracy. */
export function labelledRows(table: FeatureTable): number[] {
  return table.runs.map((_, i) => i).filter((i) => !Number.isNaN(table.targets[i]));
}

/** What `fitModel` needs besides the table. */
export interface FitModelOptions {
  readonly method: Method;
  readonly layout: FeatureLayout;
  readonly window: readonly number[];
  readonly folds: number;
  readonly chance: number;
  /** `config.arch` and `config.dataset` of each table row. */
  readonly runConfigs: readonly Readonly<Record<string, unknown>>[];
  /** Pipeline options of both the cross-validation and the final fit (defaults: PIPELINE_DEFAULTS). */
  readonly pipeline?: Partial<PipelineOptions>;
}

/**
 * Cross-validates `method` on `table`, then fits it on every labelled run.
 * Returns the model file contents, the cross-validated evaluation and the fitted pipeline.
 */
export function fitModel(table: FeatureTable, options: FitModelOptions): { model: ModelFile; evaluation: MethodEvaluation; pipeline: PredictorPipeline } {
  const { method, layout, window, folds, chance } = options;
  if (method.direct) throw new EpochgraphError(`--method ${method.name} has no model to fit`);
  const [evaluation] = evaluateMethods(table, { methods: [method], windowEnd: window[window.length - 1], folds, seed: 0, chance, pipeline: options.pipeline });
  const rows = labelledRows(table);
  const columns = columnsOf(table, method.blocks).map((c) => table.columns[c]);
  const pipeline = new PredictorPipeline(options.pipeline).fit(
    selectRows(selectColumns(table, columns), rows),
    rows.map((i) => table.targets[i]),
    rows.map((i) => table.groups[i]),
  );
  const distinct = (key: string) => [...new Set(options.runConfigs.map((c) => (typeof c[key] === 'string' ? (c[key] as string) : 'unknown')))].sort();
  const { predictions: _predictions, chosen: _chosen, name: _name, description: _description, nondiverged: _nondiverged, ...metrics } = evaluation;
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    epochgraph_version: libraryVersion(),
    method: method.name,
    blocks: method.blocks,
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
  const lastAcc = table.columns.indexOf(`curve:e${end}.test_acc`);
  table.runs.forEach((run, r) => {
    const foreign = table.columns.find((c, k) => checked.has(c.slice(0, c.indexOf(':'))) && !known.has(c) && !Number.isNaN(table.matrix[r * width + k]));
    if (foreign) {
      throw new EpochgraphError(
        `${run}: its architecture does not fit the model (fitted on ${model.architectures.join(', ')} with ${model.layout} features; e.g. ${foreign.split(':')[1]} is new); fit with --layout agnostic to predict other architectures`,
      );
    }
    if (model.blocks.includes('curve') && (lastAcc < 0 || Number.isNaN(table.matrix[r * width + lastAcc]))) {
      throw new EpochgraphError(`${run}: history has no test_acc for epoch ${end}, the end of the model's window ${formatEpochWindow(model.window)}`);
    }
  });
  const pipeline = PredictorPipeline.fromJSON(model.pipeline);
  return { pipeline, predictions: pipeline.predict(selectColumns(table, model.columns)) };
}
