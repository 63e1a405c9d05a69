/**
 * Fitting a method into a model file, shared by `fit` and the built-in model's fitting
 * script: the method cross-validated, then fitted on every labelled run, with the facts a
 * model file keeps about its training runs.
 */
import { OptionError } from '../errors.js';
import { labelledRows } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { selectColumns } from './evaluate.js';
import type { MethodEvaluation } from './evaluate.js';
import { BUILTIN_PRIOR, methodColumns } from './evaluate-methods.js';
import type { Method } from './evaluate-methods.js';
import { evaluateTables, specBlocks } from './evaluation.js';
import type { EvaluationSpec } from './evaluation.js';
import { selectRows } from './matrix.js';
import type { Matrix } from './matrix.js';
import { MODEL_FORMAT, MODEL_VERSION, builtinModelSha256, libraryVersion } from './model-file.js';
import type { ModelFile } from './model-file.js';
import { priorValues } from './model-use.js';
import { PredictorPipeline } from './pipeline.js';

/** The spec's one method, if it has a model to fit. Returns it; throws `OptionError` (field `method`) otherwise. */
export function fittableMethod(spec: EvaluationSpec): Method {
  if (spec.methods.length !== 1) throw new OptionError('method', `fit takes one method, got ${spec.methods.length}`);
  const [method] = spec.methods;
  if (method.direct) throw new OptionError('method', `${method.name} reads a feature as is and has no model to fit`);
  return method;
}

/** Smallest and largest value of each column of `X` (null for a column with no value). */
function columnRanges(X: Matrix): { min: (number | null)[]; max: (number | null)[] } {
  const min = new Float64Array(X.cols).fill(Infinity);
  const max = new Float64Array(X.cols).fill(-Infinity);
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < X.cols; c++) {
      const v = X.data[r * X.cols + c];
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  const orNull = (v: number) => (Number.isFinite(v) ? v : null);
  return { min: Array.from(min, orNull), max: Array.from(max, orNull) };
}

/**
 * Cross-validates the spec's one method on `table`, then fits it on every labelled run.
 * With the built-in model as the prior, `table` holds its predictions (`zooFeatureTable`).
 * Returns the model file contents, the cross-validated evaluation and the fitted pipeline;
 * throws `OptionError` (field `method`) for a method without a model.
 */
export async function fitModel(table: FeatureTable, spec: EvaluationSpec): Promise<{ model: ModelFile; evaluation: MethodEvaluation; pipeline: PredictorPipeline }> {
  const { layout, window, folds } = spec;
  const method = fittableMethod(spec);
  const [evaluation] = (await evaluateTables(table, spec)).evaluations;
  const rows = labelledRows(table);
  const columns = methodColumns(table, method);
  const prior = spec.pipeline.prior ?? null;
  const priors = priorValues(table, prior, window);
  const X = selectRows(selectColumns(table, columns), rows);
  const pipeline = new PredictorPipeline({ seed: spec.seed, ...spec.pipeline }).fit(
    X,
    rows.map((i) => table.targets[i]),
    rows.map((i) => table.groups[i]),
    priors && rows.map((i) => priors[i]),
  );
  const label = (config: Readonly<Record<string, unknown>>, key: string) => (typeof config[key] === 'string' ? (config[key] as string) : 'unknown');
  const distinct = (key: string) => [...new Set(table.configs.map((c) => label(c, key)))].sort();
  const runsPerCell: Record<string, number> = {};
  for (const i of rows) {
    const cell = `${label(table.configs[i], 'arch')}/${label(table.configs[i], 'dataset')}`;
    runsPerCell[cell] = (runsPerCell[cell] ?? 0) + 1;
  }
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
    runs_per_cell: Object.fromEntries(Object.entries(runsPerCell).sort(([a], [b]) => (a < b ? -1 : 1))),
    training_range: columnRanges(X),
    ...(prior === BUILTIN_PRIOR && { prior_model_sha256: await builtinModelSha256() }),
    cross_validation: { ...metrics, folds },
    pipeline: pipeline.toJSON(),
  };
  return { model, evaluation, pipeline };
}
