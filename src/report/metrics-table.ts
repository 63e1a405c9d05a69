/**
 * The metrics table of the report, as HTML: one row per method, the same columns as
 * `epochgraph evaluate`, shown to three decimals with the exact value in a `data-value`
 * attribute, and the best value of each column in bold.
 */
import type { Metrics } from '../predict/evaluate.js';
import { fixed } from './figures/common.js';
import { escapeHtml } from './html.js';
import type { ReportMethod } from './methods.js';

/** A metric column: its key, heading, and how "best" is judged. */
interface Column {
  readonly key: Exclude<keyof Metrics, 'n'>;
  readonly heading: string;
  readonly title: string;
  /** Higher is better, lower is better, or closest to a target. */
  readonly best: 'max' | 'min' | 'target';
}

const COLUMNS: readonly Column[] = [
  { key: 'r2', heading: 'R²', title: 'coefficient of determination of predicted vs actual final accuracy', best: 'max' },
  { key: 'mae', heading: 'MAE', title: 'mean absolute error, in accuracy (fraction)', best: 'min' },
  { key: 'kendall_tau', heading: 'Kendall τ', title: "Kendall's tau-b rank correlation", best: 'max' },
  { key: 'spearman', heading: 'Spearman ρ', title: "Spearman's rank correlation", best: 'max' },
  { key: 'top_quarter_accuracy', heading: 'top-25% acc.', title: 'accuracy of calling a run top-quarter from its prediction', best: 'max' },
  { key: 'top_quarter_auc', heading: 'top-25% AUC', title: 'ROC AUC of the predictions for being in the top quarter', best: 'max' },
  { key: 'coverage', heading: 'coverage', title: 'fraction of actual values inside the prediction interval (best: closest to nominal)', best: 'target' },
  { key: 'interval_width', heading: 'width', title: 'mean width of the prediction intervals, in accuracy', best: 'min' },
];

/** The two subsets a table can show. */
export type MetricsSubset = 'all' | 'learned';

/** Returns the HTML table of `methods` over `subset`; `coverage` is the intervals' nominal coverage. */
export function metricsTableHtml(methods: readonly ReportMethod[], subset: MetricsSubset, coverage: number): string {
  const rows = methods.map((m) => (subset === 'all' ? m.metrics : m.learned));
  const bestOf = (column: Column): number => {
    const values = rows.map((r) => r[column.key]).filter((v) => !Number.isNaN(v));
    if (values.length === 0) return NaN;
    if (column.best === 'max') return Math.max(...values);
    if (column.best === 'min') return Math.min(...values);
    return values.reduce((a, b) => (Math.abs(b - coverage) < Math.abs(a - coverage) ? b : a));
  };
  const best = COLUMNS.map(bestOf);
  const header =
    `<tr><th>method</th><th title="runs the metrics are computed over">runs</th>` +
    COLUMNS.map((c) => `<th title="${escapeHtml(c.title)}">${escapeHtml(c.heading)}</th>`).join('') +
    `</tr>`;
  const body = methods
    .map((m, i) => {
      const cells = COLUMNS.map((c, k) => {
        const v = rows[i][c.key];
        const cls = !Number.isNaN(v) && v === best[k] ? ' class="best"' : '';
        return `<td data-metric="${c.key}" data-value="${String(v)}"${cls}>${fixed(v, 3)}</td>`;
      }).join('');
      return `<tr data-method="${escapeHtml(m.name)}"><td class="text" title="${escapeHtml(m.description)}">${escapeHtml(m.name)}</td><td data-metric="n" data-value="${rows[i].n}">${rows[i].n}</td>${cells}</tr>`;
    })
    .join('');
  return `<table class="metrics" data-subset="${subset}"><thead>${header}</thead><tbody>${body}</tbody></table>`;
}
