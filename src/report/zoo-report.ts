/**
 * A zoo report from scratch: the zoo's evaluation (evaluation.ts: feature table, every
 * method's grouped cross-validation), then `writeReport`. What `epochgraph report` runs.
 */
import { BUILTIN_PRIOR } from '../predict/evaluate-methods.js';
import { evaluateZoos, evaluationSpec } from '../predict/evaluation.js';
import type { EvaluationSpec } from '../predict/evaluation.js';
import type { ModelFile } from '../predict/model-file.js';
import type { ReplayFile } from '../prune/replay.js';
import { checkModelWindow } from './model.js';
import { checkOutputDir } from './output-dir.js';
import { writeReport } from './report.js';
import type { ReportProgress, ReportSummary } from './report.js';

/** Options of `reportZoo`. */
export interface ZooReportOptions {
  /** Zoo directories, evaluated as one zoo. */
  readonly zoos: readonly string[];
  /** The evaluation; window and layout default to the model's, the rest to the spec's defaults. */
  readonly spec?: Partial<EvaluationSpec>;
  readonly model?: ModelFile;
  /** A pruning replay of the zoos to show (`epochgraph prune-replay --json`). */
  readonly replay?: ReplayFile;
  /** Processes the evaluation's methods are shared among (default 1); the numbers do not depend on it. */
  readonly workers?: number;
  readonly outDir: string;
  readonly onProgress?: ReportProgress;
}

/**
 * Evaluates every method on the runs of `options.zoos` and writes the report. Returns
 * what was written; throws `OptionError` for an unusable output directory or a model
 * fitted on another window or layout (both checked before any work), and
 * `EpochgraphError` for an empty zoo or bad runs.
 */
export async function reportZoo(options: ZooReportOptions): Promise<ReportSummary> {
  const { model } = options;
  const spec = evaluationSpec({ window: model?.window, layout: model?.layout }, options.spec ?? {});
  if (model) checkModelWindow(model, spec.window, spec.layout);
  await checkOutputDir(options.outDir);
  const evaluation = await evaluateZoos(options.zoos, spec, {
    extraBlocks: model?.blocks,
    builtinPrior: model?.pipeline.prior?.method === BUILTIN_PRIOR,
    onProgress: options.onProgress,
    workers: options.workers,
  });
  return writeReport({ zoo: options.zoos.join(' + '), evaluation, model, replay: options.replay, outDir: options.outDir, onProgress: options.onProgress });
}
