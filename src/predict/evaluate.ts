/**
 * Honest comparison of methods on the same folds and the same epoch window: grouped
 * k-fold cross-validation over runs (or train on one zoo, test on another), every
 * method's out-of-fold predictions, and their metrics over all runs and over the runs
 * that learned (chance.ts), where ranking is hard and where the method has to prove itself.
 */
import { labelledRows } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { learnedRows } from './chance.js';
import { PredictError } from './errors.js';
import { groupedFolds } from './evaluate-folds.js';
import { directPredictionColumns, methodColumns, priorColumn } from './evaluate-methods.js';
import type { Method } from './evaluate-methods.js';
import { intervalCoverage, kendallTau, meanAbsoluteError, meanIntervalWidth, r2Score, spearmanRho, topQuarter } from './evaluate-metrics.js';
import { selectRows } from './matrix.js';
import type { Matrix } from './matrix.js';
import { PredictorPipeline, conformalQuantile, intervalOf } from './pipeline.js';
import type { PipelineOptions, Prediction } from './pipeline.js';

/** Metrics of one method on a set of runs. */
export interface Metrics {
  readonly n: number;
  readonly r2: number;
  readonly mae: number;
  readonly kendall_tau: number;
  readonly spearman: number;
  readonly top_quarter_accuracy: number;
  readonly top_quarter_auc: number;
  readonly coverage: number;
  /** Mean width of the intervals, in accuracy: how much the coverage costs. */
  readonly interval_width: number;
}

/** The metrics' names, in `Metrics` order. */
export const METRIC_NAMES: readonly (keyof Metrics)[] = Object.freeze(['n', 'r2', 'mae', 'kendall_tau', 'spearman', 'top_quarter_accuracy', 'top_quarter_auc', 'coverage', 'interval_width'] as const);

/** One method's evaluation. */
export interface MethodEvaluation extends Metrics {
  readonly name: string;
  readonly description: string;
  /** The same metrics over the runs that learned (chance.ts). */
  readonly learned: Metrics;
  /** Per-run predictions, in test-table row order. */
  readonly predictions: Prediction;
  /** Candidate chosen in each fold (model selection inside the training part). */
  readonly chosen: readonly string[];
}

/** Options of `evaluateMethods`. */
export interface EvaluateOptions {
  readonly methods: readonly Method[];
  /** Last epoch of the window (for `last-acc`). */
  readonly windowEnd: number;
  /** Outer folds (ignored with a test table). */
  readonly folds: number;
  readonly seed: number;
  /** Chance accuracy, for the metrics over the runs that learned. */
  readonly chance: number;
  readonly pipeline?: Partial<PipelineOptions>;
  /** Called after each method. */
  readonly onMethod?: (name: string, done: number, total: number) => void;
}

/** Columns of `table` for `names`, in that order (NaN where `table` lacks one). */
export function selectColumns(table: FeatureTable, names: readonly string[]): Matrix {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  const width = table.columns.length;
  const data = new Float64Array(table.runs.length * names.length);
  for (let r = 0; r < table.runs.length; r++) {
    names.forEach((name, k) => {
      const c = index.get(name);
      data[r * names.length + k] = c === undefined ? NaN : table.matrix[r * width + c];
    });
  }
  return { data, rows: table.runs.length, cols: names.length };
}

/** Metrics of predictions against actual values. */
export function metricsOf(actual: ArrayLike<number>, prediction: Prediction, rows: readonly number[]): Metrics {
  const pick = (values: ArrayLike<number>) => rows.map((i) => values[i]);
  const a = pick(actual);
  const p = pick(prediction.predicted);
  const top = topQuarter(a, p);
  return {
    n: rows.length,
    r2: r2Score(a, p),
    mae: meanAbsoluteError(a, p),
    kendall_tau: kendallTau(a, p),
    spearman: spearmanRho(a, p),
    top_quarter_accuracy: top.accuracy,
    top_quarter_auc: top.auc,
    coverage: intervalCoverage(a, pick(prediction.lower), pick(prediction.upper)),
    interval_width: meanIntervalWidth(pick(prediction.lower), pick(prediction.upper)),
  };
}

/** Fits `method` on training rows and predicts test rows. Returns the prediction and the chosen candidate. */
function fitPredict(
  method: Method,
  train: { X: Matrix; y: Float64Array; groups: readonly string[]; prior?: Float64Array },
  test: Matrix,
  testPrior: Float64Array | undefined,
  direct: { predicted: number; lower: number; upper: number } | undefined,
  options: EvaluateOptions,
): { prediction: Prediction; chosen: string } {
  if (direct) {
    const column = (X: Matrix, c: number) => Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + c]);
    const predicted = column(test, direct.predicted);
    if (direct.lower >= 0 && direct.upper >= 0) return { prediction: { predicted, lower: column(test, direct.lower), upper: column(test, direct.upper) }, chosen: 'none' };
    const trainResiduals = train.y.map((t, i) => Math.abs(t - train.X.data[i * train.X.cols + direct.predicted]));
    const half = conformalQuantile(trainResiduals.filter((r) => !Number.isNaN(r)), options.pipeline?.coverage ?? 0.9);
    return { prediction: { predicted, ...intervalOf('none', 'accuracy', predicted, half) }, chosen: 'none' };
  }
  const pipeline = new PredictorPipeline({ seed: options.seed, ...options.pipeline }).fit(train.X, train.y, train.groups, train.prior);
  return { prediction: pipeline.predict(test, testPrior), chosen: pipeline.selection.candidate };
}

/**
 * Evaluates every method by grouped k-fold cross-validation on `table`, or, with
 * `testTable`, by fitting on all of `table` and predicting `testTable`.
 * Returns one evaluation per method, in the order given.
 */
export function evaluateMethods(table: FeatureTable, options: EvaluateOptions, testTable?: FeatureTable): MethodEvaluation[] {
  const evaluated = testTable ?? table;
  const trainRows = labelledRows(table);
  const testRows = labelledRows(evaluated);
  if (trainRows.length < 4) throw new PredictError('evaluate', `need at least 4 runs with a final accuracy, got ${trainRows.length}`);
  const fold = testTable ? undefined : groupedFolds(trainRows.map((i) => table.groups[i]), options.folds, options.seed);
  const results: MethodEvaluation[] = [];
  for (const [m, method] of options.methods.entries()) {
    const names = methodColumns(table, method);
    const wanted = directPredictionColumns(method, options.windowEnd);
    const at = (name: string | undefined) => (name === undefined ? -1 : names.indexOf(name));
    const direct = wanted ? { predicted: at(wanted.predicted), lower: at(wanted.lower), upper: at(wanted.upper) } : undefined;
    if (wanted && direct && direct.predicted < 0) throw new PredictError('evaluate', `${method.name} needs ${wanted.predicted} in the feature table`);
    const X = selectColumns(table, names);
    // The prior a learned method corrects: a direct method's prediction, read from the table.
    const prior = options.pipeline?.prior ?? null;
    const priorOf = (source: FeatureTable) => (wanted || prior === null ? undefined : selectColumns(source, [priorColumn(prior, options.windowEnd)]).data);
    const trainPrior = priorOf(table);
    const evaluatedPrior = testTable ? priorOf(testTable) : trainPrior;
    const priorRows = (values: Float64Array | undefined, rows: readonly number[]) => values && Float64Array.from(rows, (i) => values[i]);
    const predicted = new Float64Array(evaluated.runs.length).fill(NaN);
    const lower = new Float64Array(evaluated.runs.length).fill(NaN);
    const upper = new Float64Array(evaluated.runs.length).fill(NaN);
    const chosen: string[] = [];
    const store = (rows: readonly number[], p: Prediction) =>
      rows.forEach((row, k) => {
        predicted[row] = p.predicted[k];
        lower[row] = p.lower[k];
        upper[row] = p.upper[k];
      });
    const trainingPart = (rows: readonly number[]) => ({
      X: selectRows(X, rows),
      y: Float64Array.from(rows, (i) => table.targets[i]),
      groups: rows.map((i) => table.groups[i]),
      prior: priorRows(trainPrior, rows),
    });
    if (fold) {
      for (let f = 0; f < options.folds; f++) {
        const testPart = trainRows.filter((_, k) => fold[k] === f);
        const trainPart = trainRows.filter((_, k) => fold[k] !== f);
        const { prediction, chosen: c } = fitPredict(method, trainingPart(trainPart), selectRows(X, testPart), priorRows(trainPrior, testPart), direct, options);
        store(testPart, prediction);
        chosen.push(c);
      }
    } else {
      const testX = selectRows(selectColumns(evaluated, names), testRows);
      const { prediction, chosen: c } = fitPredict(method, trainingPart(trainRows), testX, priorRows(evaluatedPrior, testRows), direct, options);
      store(testRows, prediction);
      chosen.push(c);
    }
    const prediction = { predicted, lower, upper };
    const learned = learnedRows(evaluated.targets, testRows, options.chance);
    results.push({
      name: method.name,
      description: method.description,
      ...metricsOf(evaluated.targets, prediction, testRows),
      learned: metricsOf(evaluated.targets, prediction, learned),
      predictions: prediction,
      chosen,
    });
    options.onMethod?.(method.name, m + 1, options.methods.length);
  }
  return results;
}
