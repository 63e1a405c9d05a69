/**
 * The report's predictors: a model file applied to the zoo's feature table, and the
 * feature importances (total split gain per feature) of a gradient-boosted model, either
 * the model file's or one fitted on the whole zoo for the featured method.
 */
import { OptionError } from '../errors.js';
import { learnedRows } from '../predict/chance.js';
import { findMethod, methodColumns } from '../predict/evaluate-methods.js';
import { metricsOf, selectColumns } from '../predict/evaluate.js';
import { HistGradientBoostingRegressor } from '../predict/gbt.js';
import { selectRows } from '../predict/matrix.js';
import type { ModelFile } from '../predict/model-file.js';
import { modelPredictions } from '../predict/model-use.js';
import { PredictorPipeline } from '../predict/pipeline.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { labelledRows } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { formatEpochs } from '../util/epochs.js';
import type { ReportMethod } from './methods.js';

/** One feature's share of the model's total split gain. */
export interface FeatureImportance {
  /** Feature-table column, `block:name`. */
  readonly feature: string;
  /** Fraction of the total gain, in [0, 1]. */
  readonly gain: number;
}

/** A model file applied to a zoo: its predictions and metrics, and the fitted pipeline. */
export interface AppliedModel {
  readonly method: ReportMethod;
  readonly pipeline: PredictorPipeline;
}

/**
 * Checks that `model` was fitted on the same epoch window and feature layout as the
 * report's table. Returns nothing; throws `OptionError` (field `window` or `layout`) naming the difference.
 */
export function checkModelWindow(model: ModelFile, window: readonly number[], layout: FeatureLayout): void {
  if (formatEpochs(model.window) !== formatEpochs(window)) {
    throw new OptionError('window', `${formatEpochs(window)}, but the model was fitted on the epoch window ${formatEpochs(model.window)}; use that window`);
  }
  if (model.layout !== layout) throw new OptionError('layout', `${layout}, but the model was fitted with ${model.layout} features; use that layout`);
}

/**
 * `modelPredictions` with their metrics over the table's runs and over those that learned
 * at chance level `chance`. Returns them as a report method, with the pipeline.
 */
export function applyModel(model: ModelFile, table: FeatureTable, chance: number): AppliedModel {
  const { pipeline, predictions } = modelPredictions(model, table);
  const usable = labelledRows(table);

  return {
    pipeline,
    method: {
      name: `model (${model.method})`,
      description: `model file: ${model.method} fitted on ${model.training_runs} runs (${model.architectures.join(', ')}), window ${formatEpochs(model.window)}`,
      metrics: metricsOf(table.targets, predictions, usable),
      learned: metricsOf(table.targets, predictions, learnedRows(table.targets, usable, chance)),
      predictions,
    },
  };
}

/**
 * Gain importances of a pipeline whose estimator is gradient-boosted trees, named by
 * `columns` (the estimator's column order). Returns them sorted by decreasing gain
 * (zero-gain features left out), or undefined for another estimator.
 */
export function pipelineImportances(pipeline: PredictorPipeline, columns: readonly string[]): FeatureImportance[] | undefined {
  const estimator = pipeline.estimator;
  if (!(estimator instanceof HistGradientBoostingRegressor)) return undefined;
  const gains = estimator.featureImportances;
  return columns
    .map((feature, k) => ({ feature, gain: gains[k] }))
    .filter((f) => f.gain > 0)
    .sort((a, b) => b.gain - a.gain);
}

/**
 * Fits gradient-boosted trees (the pipeline restricted to its tree candidate) for the
 * method named `methodName` on every run of `table` with a final accuracy, and returns
 * their gain importances, or undefined for a method without a model (a direct baseline,
 * or an unknown name).
 */
export function fitImportances(table: FeatureTable, methodName: string, seed: number): FeatureImportance[] | undefined {
  const method = findMethod(methodName);
  if (!method || method.direct) return undefined;
  const rows = labelledRows(table);
  const columns = methodColumns(table, method);
  const X = selectRows(selectColumns(table, columns), rows);
  const pipeline = new PredictorPipeline({ seed, candidates: ['gbt'] }).fit(
    X,
    rows.map((i) => table.targets[i]),
    rows.map((i) => table.groups[i]),
  );
  return pipelineImportances(pipeline, columns);
}
