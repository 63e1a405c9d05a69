/**
 * What the report compares: every cross-validated method of an evaluation and, when a
 * model file is given, that model applied to the zoo, all in one shape: metrics over all
 * runs and over the runs that learned, and per-run predictions in feature-table row order.
 */
import type { Metrics, MethodEvaluation } from '../predict/evaluate.js';
import type { Prediction } from '../predict/pipeline.js';

/** One method's results as the report shows them. */
export interface ReportMethod {
  readonly name: string;
  readonly description: string;
  readonly metrics: Metrics;
  readonly learned: Metrics;
  readonly predictions: Prediction;
}

/** The report's view of an evaluation. */
export function fromEvaluation(evaluation: MethodEvaluation): ReportMethod {
  const { name, description, learned, predictions, n, r2, mae, kendall_tau, spearman, top_quarter_accuracy, top_quarter_auc, coverage, interval_width } = evaluation;
  return { name, description, learned, predictions, metrics: { n, r2, mae, kendall_tau, spearman, top_quarter_accuracy, top_quarter_auc, coverage, interval_width } };
}

/** Methods the report features when no model is given, in order of preference: the default of `epochgraph fit`, then the graph alone. */
const FEATURED = ['graph+curve', 'graph'];

/**
 * The method whose predictions colour the learning curves and whose model's feature
 * importances are shown: `preferred` when given and present, else the first of
 * graph+curve and graph that was evaluated, else the first method. Returns it.
 */
export function featuredMethod(methods: readonly ReportMethod[], preferred?: string): ReportMethod {
  for (const name of preferred ? [preferred] : FEATURED) {
    const found = methods.find((m) => m.name === name);
    if (found) return found;
  }
  return methods[0];
}
