/**
 * Pieces shared by the figure specifications: the schema, axes with units, colour
 * schemes, so that every figure reads the same way.
 */

/** The vega-lite schema the specifications follow. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** An axis for fractions in [0, 1] shown as percentages. */
export function percentAxis(title: string): Record<string, unknown> {
  return { title, format: '.0%', tickCount: 5 };
}

/** An axis of training epochs (whole numbers). */
export function epochAxis(title = 'epoch'): Record<string, unknown> {
  return { title, format: 'd', tickMinStep: 1 };
}

/** Sequential scheme for accuracies: dark = low, bright = high. */
export const ACCURACY_SCHEME = 'viridis';

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
