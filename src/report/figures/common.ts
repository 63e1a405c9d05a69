/**
 * Pieces shared by the figure specifications: the schema, axes with units, colour
 * schemes, so that every figure reads the same way.
 */

/** The vega-lite schema the specifications follow. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** `value` with `digits` decimals, or "-" when it is undefined (NaN: a metric over too few runs). */
export function fixed(value: number, digits: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(digits);
}

/** An axis for fractions in [0, 1] shown as percentages. */
export function percentAxis(title: string): Record<string, unknown> {
  return { title, format: '.0%', tickCount: 5 };
}

/** An axis of training epochs (whole numbers). */
export function epochAxis(title = 'epoch'): Record<string, unknown> {
  return { title, format: 'd', tickMinStep: 1 };
}

/**
 * Tick labels for log axes: vega's own choice of which ticks to label (`datum.label` is
 * empty for the others), with values beyond 1e5 or under 1e-3 written as powers of ten
 * (diverged runs reach 1e+30, which vega would spell out in full).
 */
export const LOG_LABELS =
  "datum.label === '' ? '' : datum.value !== 0 && (abs(datum.value) >= 1e5 || abs(datum.value) < 1e-3) ? format(datum.value, '.0e') : datum.label";

/** Sequential scheme for accuracies: dark = low, bright = high. */
const ACCURACY_SCHEME = 'viridis';

/**
 * A colour encoding of accuracies in [`low`, `high`] with a gradient legend labelled at
 * both ends and the middle (vega's own ticks crowd at the ends of short gradients).
 */
export function accuracyColor(field: string, title: string, low: number, high: number, orient: 'right' | 'bottom'): Record<string, unknown> {
  return {
    field,
    type: 'quantitative',
    scale: { scheme: ACCURACY_SCHEME, domain: [low, high] },
    legend: { type: 'gradient', title, format: '.0%', orient, gradientLength: 180, values: low === high ? [low] : [low, (low + high) / 2, high] },
  };
}

/** A shaded band marking the epoch window the predictors see, with its label. */
export function windowBand(window: readonly number[]): Record<string, unknown>[] {
  const start = window[0];
  const end = window[window.length - 1];
  const data = { values: [{ start: start - 0.25, end: end + 0.25, label: `window ${start === end ? start : `${start}-${end}`}` }] };
  return [
    { data, mark: { type: 'rect', color: '#f0c05a', opacity: 0.18 }, encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' } } },
    {
      data,
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10, color: '#8a6d1f' },
      encoding: { x: { field: 'start', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    },
  ];
}
