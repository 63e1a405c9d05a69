/**
 * Shared by `evaluate`, `fit` and `demo`: a zoo's feature table with progress, and the
 * metrics table printed for every method.
 */
import { listZoos } from '../checkpoint/run.js';
import type { MethodEvaluation } from '../predict/evaluate.js';
import { blocksOf } from '../predict/evaluate-methods.js';
import type { Method } from '../predict/evaluate-methods.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { buildFeatureTable } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { renderTable } from './output.js';
import { LiveBlock, bar } from './progress.js';

/** Chance accuracy of the 10-class datasets: runs ending at most 10 points above it count as diverged. */
export const CHANCE = 0.1;

/** Builds the feature table of the runs of `zoos` (one table) for `methods`, with a progress bar unless `quiet`. Returns the table. */
export async function zooTable(zoos: readonly string[], window: number[], layout: FeatureLayout, methods: readonly Method[], quiet: boolean): Promise<FeatureTable> {
  const runs = await listZoos(zoos);
  const live = new LiveBlock();
  const table = await buildFeatureTable(runs, { window, layout, blocks: blocksOf(methods) }, (done, total) => {
    if (!quiet) live.update([`features of ${zoos.join(', ')} ${bar(done / total)} ${done}/${total} runs`]);
  });
  live.clear();
  return table;
}

/** Renders every method's metrics over all runs or over the runs that did not diverge. Returns the table text. */
export function metricsTable(results: readonly MethodEvaluation[], subset: 'all' | 'nondiverged'): string {
  return renderTable(
    ['method', 'runs', 'R^2', 'MAE', 'Kendall tau', 'Spearman', 'top-25% acc', 'top-25% AUC', 'coverage', 'width'],
    results.map((r) => {
      const m = subset === 'all' ? r : r.nondiverged;
      return [r.name, String(m.n), ...[m.r2, m.mae, m.kendall_tau, m.spearman, m.top_quarter_accuracy, m.top_quarter_auc, m.coverage, m.interval_width].map((v) => (Number.isNaN(v) ? '-' : v.toFixed(3)))];
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}
