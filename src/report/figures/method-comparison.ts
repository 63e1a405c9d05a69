/**
 * The headline comparison: how well each method ranks runs by final accuracy (Kendall's
 * tau), over all runs and over the runs that learned (chance.ts), where the easy separation of
 * failed runs from working ones no longer helps.
 */
import type { Figure } from '../figure.js';
import type { ReportMethod } from '../methods.js';
import { SCHEMA } from './common.js';

/** The figure: one bar pair per method, sorted by tau on the runs that learned. */
export function methodComparisonFigure(methods: readonly ReportMethod[], protocol: string): Figure {
  const all = 'all runs';
  const learned = 'runs that learned';
  const values = methods.flatMap((m) => [
    { method: m.name, subset: all, tau: m.metrics.kendall_tau, n: m.metrics.n },
    { method: m.name, subset: learned, tau: m.learned.kendall_tau, n: m.learned.n },
  ]).filter((v) => Number.isFinite(v.tau));
  const tau = (m: ReportMethod) => (Number.isNaN(m.learned.kendall_tau) ? -Infinity : m.learned.kendall_tau);
  const order = [...methods].sort((a, b) => tau(b) - tau(a) || 0).map((m) => m.name);
  const first = methods[0];
  const title = 'Ranking quality per method';
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: `Kendall's tau between predicted and actual final accuracy (1 = same order); ${first.metrics.n} runs, ${first.learned.n} learned` },
    data: { values },
    width: 360,
    height: { step: 11 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'method', type: 'nominal', sort: order, axis: { title: null, labelLimit: 220 } },
      yOffset: { field: 'subset', type: 'nominal', sort: [all, learned] },
      x: { field: 'tau', type: 'quantitative', scale: { domain: [Math.min(0, ...values.map((v) => v.tau)), 1] }, axis: { title: "Kendall's tau", format: '.1f' } },
      color: { field: 'subset', type: 'nominal', sort: [all, learned], scale: { range: ['#9ecae9', '#1f77b4'] }, legend: { title: null, orient: 'bottom' } },
    },
  };
  return {
    name: 'method-comparison',
    title,
    caption:
      `Kendall's tau-b between each method's predicted and the actual final test accuracy, ${protocol}. Light bars: all runs; dark bars: ` +
      `the runs that ended more than 10 points above chance, where ranking is harder. Methods are sorted by the dark bars. ` +
      `The metrics table below gives these numbers with R², MAE and the other metrics.`,
    spec,
  };
}
