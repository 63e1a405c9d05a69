/**
 * Predicted against actual final test accuracy, one small panel per method: each run's
 * prediction with its interval, the diagonal of perfect prediction, and the runs that
 * ended near chance marked apart (they are left out of the metrics over the runs that learned).
 */
import type { Figure } from '../figure.js';
import type { ReportMethod } from '../methods.js';
import { SCHEMA, fixed, percentAxis } from './common.js';

/** Options of `predictedVsActualFigure`. */
export interface PredictedVsActualOptions {
  /** Run ids, in row order of the predictions. */
  readonly ids: readonly string[];
  readonly actual: ArrayLike<number>;
  /** Runs whose actual accuracy is at most this are marked as ended near chance. */
  readonly nearChance: number;
  /** Nominal coverage of the intervals. */
  readonly coverage: number;
  /** How the predictions were made, for the caption. */
  readonly protocol: string;
}

const LEARNED = 'learned';
const NEAR_CHANCE = 'ended near chance';

/** Panels per row: 3 to 5, whichever leaves the fewest empty cells in the last row (vega-lite draws axes under them). */
function columnsFor(panels: number): number {
  if (panels <= 5) return panels;
  const empty = (c: number) => (c - (panels % c)) % c;
  return [5, 4, 3].reduce((best, c) => (empty(c) < empty(best) ? c : best));
}

/** The figure, with panels in the order of `methods`. */
export function predictedVsActualFigure(methods: readonly ReportMethod[], options: PredictedVsActualOptions): Figure {
  const { ids, actual, nearChance } = options;
  const panel = (m: ReportMethod) => `${m.name}|Kendall τ ${fixed(m.metrics.kendall_tau, 2)}, MAE ${fixed(m.metrics.mae, 3)}`;
  const values: Record<string, unknown>[] = [];
  for (const method of methods) {
    values.push({ panel: panel(method), kind: 'diagonal' });
    ids.forEach((run, i) => {
      const { predicted, lower, upper } = method.predictions;
      if (!Number.isFinite(actual[i]) || !Number.isFinite(predicted[i])) return;
      values.push({
        panel: panel(method),
        kind: 'run',
        run,
        actual: actual[i],
        predicted: predicted[i],
        lower: lower[i],
        upper: upper[i],
        status: actual[i] <= nearChance ? NEAR_CHANCE : LEARNED,
      });
    });
  }
  const runs = (extra: object) => ({ transform: [{ filter: "datum.kind === 'run'" }], ...extra });
  // A few pixels of padding keep points at 0% or 100% inside the panel (they would push the panel headers up).
  const scale = { domain: [0, 1], padding: 5 };
  const x = { field: 'actual', type: 'quantitative', scale, axis: percentAxis('actual final test accuracy') };
  const color = {
    field: 'status',
    type: 'nominal',
    scale: { domain: [LEARNED, NEAR_CHANCE], range: ['#1f77b4', '#d62728'] },
    legend: { title: null, orient: 'bottom' },
  };
  const coveragePercent = Math.round(options.coverage * 100);
  const title = 'Predicted vs actual final test accuracy';
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: `one panel per method; bars: ${coveragePercent}% prediction intervals; dashed: perfect prediction` },
    data: { values },
    facet: {
      field: 'panel',
      type: 'nominal',
      sort: methods.map(panel),
      title: null,
      header: { labelExpr: "split(datum.value, '|')", labelFontSize: 11, labelPadding: 4 },
    },
    columns: columnsFor(methods.length),
    spacing: { row: 14, column: 16 },
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'diagonal'" }],
          mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
          encoding: { x: { datum: 0, type: 'quantitative' }, y: { datum: 0, type: 'quantitative' }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
        runs({
          mark: { type: 'rule', strokeWidth: 1, opacity: 0.35 },
          encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' }, color },
        }),
        runs({
          mark: { type: 'point', filled: true, size: 24, opacity: 0.85 },
          encoding: {
            x,
            y: { field: 'predicted', type: 'quantitative', scale, axis: percentAxis('predicted final test accuracy') },
            color,
            shape: { field: 'status', type: 'nominal', scale: { domain: [LEARNED, NEAR_CHANCE], range: ['circle', 'triangle-up'] }, legend: { title: null, orient: 'bottom' } },
          },
        }),
      ],
    },
  };
  return {
    name: 'predicted-vs-actual',
    title,
    caption:
      `Each point is one run: its actual final test accuracy (x) against the accuracy a method predicted from the early epochs (y), ` +
      `with the ${coveragePercent}% prediction interval as a vertical bar. Predictions are ${options.protocol}. ` +
      `Points on the dashed diagonal are predicted exactly. Red triangles are runs that ended at most ${Math.round(nearChance * 100)}% accurate ` +
      `(near chance); the metrics over the runs that learned leave them out. Panel headers give Kendall's tau and the mean absolute error over all runs.`,
    spec,
  };
}
