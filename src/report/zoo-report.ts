/**
 * A zoo report from scratch: the zoo's feature table for the window, every method's
 * grouped cross-validation on it, then `writeReport`. What `epochgraph report` runs.
 */
import { listZoos } from '../checkpoint/run.js';
import { evaluateMethods } from '../predict/evaluate.js';
import { METHODS, blocksOf } from '../predict/evaluate-methods.js';
import type { ModelFile } from '../predict/model-file.js';
import type { FeatureBlock } from '../summary/features.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { buildFeatureTable } from '../summary/table.js';
import { checkModelWindow } from './model.js';
import { checkOutputDir } from './output-dir.js';
import { writeReport } from './report.js';
import type { ReportProgress, ReportSummary } from './report.js';

/** Options of `reportZoo`. */
export interface ZooReportOptions {
  /** Zoo directories, evaluated as one zoo. */
  readonly zoos: readonly string[];
  /** Epoch window; default: the model's, else 0-3. */
  readonly window?: readonly number[];
  /** Feature layout; default: the model's, else per-layer. */
  readonly layout?: FeatureLayout;
  readonly model?: ModelFile;
  /** Outer cross-validation folds; default 5. */
  readonly folds?: number;
  /** Seed of the folds and estimators; default 0. */
  readonly seed?: number;
  readonly outDir: string;
  readonly onProgress?: ReportProgress;
}

/** The window reports use when neither the caller nor a model gives one. */
export const DEFAULT_WINDOW: readonly number[] = [0, 1, 2, 3];
/** Chance accuracy of the evaluation (ten classes). */
const CHANCE = 0.1;

/**
 * Builds the feature table of the runs of `options.zoos`, cross-validates every method and
 * writes the report. Returns what was written; throws `UsageError` for an unusable output
 * directory (checked before any work) and `EpochgraphError` for an empty zoo, bad runs or model.
 */
export async function reportZoo(options: ZooReportOptions): Promise<ReportSummary> {
  const { model } = options;
  const window = options.window ?? model?.window ?? DEFAULT_WINDOW;
  const layout = options.layout ?? model?.layout ?? 'per-layer';
  if (model) checkModelWindow(model, window, layout);
  await checkOutputDir(options.outDir);
  const runs = await listZoos(options.zoos);
  const progress = options.onProgress ?? (() => undefined);
  const blocks = [...new Set<FeatureBlock>([...blocksOf(METHODS), ...(model?.blocks ?? [])])];
  const table = await buildFeatureTable(runs, { window, layout, blocks }, (done, total, run) => progress('features', done, total, run));
  const evaluations = evaluateMethods(table, {
    methods: METHODS,
    windowEnd: window[window.length - 1],
    folds: options.folds ?? 5,
    seed: options.seed ?? 0,
    chance: CHANCE,
    onMethod: (name, done, total) => progress('evaluate', done, total, name),
  });
  return writeReport({ zoo: options.zoos.join(' + '), window, layout, table, evaluations, model, outDir: options.outDir, chance: CHANCE, seed: options.seed, onProgress: progress });
}
