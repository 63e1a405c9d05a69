/**
 * What pruning costs and saves (src/prune/replay.ts): one point per policy and setting of
 * a replay, the share of the full sweep's compute it used against its regret (how much
 * worse the best run it let finish was than the zoo's best). Down and left is better;
 * a policy that stopped the zoo's best run is drawn as a cross.
 */
import type { ReplayFile } from '../../prune/replay.js';
import type { Figure } from '../figure.js';
import { SCHEMA, percentAxis } from './common.js';

const KEPT = 'best run kept';
const LOST = 'best run stopped';

/** The figure: compute used (x) against regret (y), coloured by policy. */
export function pruningFigure(replay: ReplayFile): Figure {
  const summary = replay.across_orders?.summary;
  const values = summary
    ? summary.filter((p) => Number.isFinite(p.regret)).map((p) => ({ policy: p.name, setting: p.policy, used: 1 - p.time_saved, regret: p.regret, best: p.best_survived === p.orders ? KEPT : LOST }))
    : replay.outcomes.filter((o) => Number.isFinite(o.regret)).map((o) => ({ policy: o.name, setting: o.policy, used: 1 - o.time_saved, regret: o.regret, best: o.best_survived ? KEPT : LOST }));
  const orders = summary ? `means over ${summary[0]?.orders ?? 0} arrival orders (seeds ${replay.across_orders?.seeds.join(', ')})` : `the order of seed ${replay.seed}`;
  const basis = replay.time_basis === 'seconds' ? "training time (run.json's epoch seconds)" : 'epochs trained';
  const title = 'Compute saved against regret, per pruning policy';
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: `${replay.runs} runs, ${orders}, ${replay.parallel} at a time; down and left is better` },
    data: { values },
    width: 360,
    height: 240,
    mark: { type: 'point', filled: true, size: 70, opacity: 0.75 },
    encoding: {
      x: { field: 'used', type: 'quantitative', scale: { domain: [0, 1] }, axis: percentAxis(`compute used: share of the full sweep's ${basis}`) },
      // A sweep where every policy found the best run still gets an axis of a few tenths of a point.
      y: { field: 'regret', type: 'quantitative', scale: { domain: [0, Math.max(0.005, ...values.map((v) => v.regret))], nice: true }, axis: { title: "regret: zoo's best final accuracy − best kept", format: '.1%' } },
      color: { field: 'policy', type: 'nominal', scale: { scheme: 'category10' }, legend: { title: null, orient: 'bottom' } },
      shape: { field: 'best', type: 'nominal', scale: { domain: [KEPT, LOST], range: ['circle', 'cross'] }, legend: { title: null, orient: 'bottom' } },
      tooltip: [{ field: 'setting' }, { field: 'used', format: '.1%' }, { field: 'regret', format: '.2%' }],
    },
  };
  return {
    name: 'pruning',
    title,
    caption:
      `The zoo replayed as a live sweep (epochgraph prune-replay): runs arrive in a seeded order and each policy keeps or stops each run at each epoch ` +
      `from what it has seen so far. x: the share of the full sweep's ${basis} the policy spent; y: the regret, the zoo's best final accuracy minus ` +
      `the best among the runs it let finish${summary ? ', both averaged over the arrival orders' : ''}. One point per policy and setting (the table below names them); ` +
      `crosses stopped the zoo's best run${summary ? ' in at least one order' : ''}. ` +
      `The graph policy was judged by ${replay.judge}.`,
    spec,
  };
}
