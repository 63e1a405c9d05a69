/**
 * Benchmark: how reproducible a zoo's final accuracies are, against how well the predictors
 * rank them. REPLICATE is a zoo that retrains some of ZOO's configurations with another
 * seed (same dataset, architecture, optimizer, init, learning rate and dropout). Prints:
 * - the Kendall tau, Spearman rho and R^2 of one seed's final accuracy as the prediction of
 *   the other's, over all matched runs and over those that did not diverge in ZOO: a ceiling
 *   for any predictor that knows the configuration but not the seed;
 * - for fold seeds 0-4, every method's out-of-fold predictions (`epochgraph evaluate`'s
 *   folds and window on ZOO) scored on the same matched runs, against ZOO's final accuracy
 *   and against the replicate's.
 *
 * Usage: npm run bench:replicates -- ZOO REPLICATE [--epochs 0-3] [--seeds 0-4]
 */
import { parseArgs } from 'node:util';
import { listZoo, readRun } from '../src/checkpoint/run.js';
import { renderTable } from '../src/cli/output.js';
import { findMethod } from '../src/predict/evaluate-methods.js';
import type { Method } from '../src/predict/evaluate-methods.js';
import { kendallTau, r2Score, spearmanRho } from '../src/predict/evaluate-metrics.js';
import { chanceLevel, learnedThreshold } from '../src/predict/chance.js';
import { evaluateTables, evaluationSpec } from '../src/predict/evaluation.js';
import { FEATURE_BLOCKS } from '../src/summary/features.js';
import { buildFeatureTable } from '../src/summary/table.js';
import { parseEpochWindow } from '../src/util/epochs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { epochs: { type: 'string', default: '0-3' }, seeds: { type: 'string', default: '0-4' } },
});
if (positionals.length !== 2) throw new Error('usage: npm run bench:replicates -- ZOO REPLICATE [--epochs 0-3] [--seeds 0-4]');
const [zoo, replicate] = positionals;
const window = parseEpochWindow(values.epochs);
const METHODS = ['graph', 'graph+curve', 'graph+curve+hyper', 'curve+hyper', 'weights', 'last-acc'];

const configKey = (config: Record<string, unknown>) => ['dataset', 'arch', 'optimizer', 'init', 'lr', 'dropout'].map((k) => String(config[k])).join('|');
async function finals(dir: string): Promise<Map<string, { run: string; final: number }>> {
  const out = new Map<string, { run: string; final: number }>();
  for (const run of await listZoo(dir)) {
    const { config, history } = await readRun(run);
    out.set(configKey(config as unknown as Record<string, unknown>), { run, final: history.at(-1)?.test_acc ?? NaN });
  }
  return out;
}
const original = await finals(zoo);
const runDirs = await listZoo(zoo);
const table = await buildFeatureTable(runDirs, { window, layout: 'per-layer', blocks: [...FEATURE_BLOCKS] });
const threshold = learnedThreshold(chanceLevel(table.configs));
const pairs = [...(await finals(replicate))].flatMap(([key, again]) => {
  const first = original.get(key);
  return first ? [{ run: first.run, first: first.final, again: again.final }] : [];
});
if (pairs.length < 4) throw new Error(`${replicate}: only ${pairs.length} runs match a configuration of ${zoo}`);
const learned = pairs.flatMap((p, i) => (p.first > threshold ? [i] : []));
const all = pairs.map((_, i) => i);
const column = (rows: number[], pick: (i: number) => number) => rows.map(pick);
const first = (rows: number[]) => column(rows, (i) => pairs[i].first);
const again = (rows: number[]) => column(rows, (i) => pairs[i].again);

console.log(`${zoo}: ${pairs.length} runs retrained with another seed in ${replicate} (${learned.length} learned in ${zoo})\n`);
console.log('The replicate\'s final accuracy as the prediction of the original\'s:');
console.log(
  renderTable(
    ['runs', 'n', 'Kendall tau', 'Spearman', 'R^2', 'median |difference|'],
    [
      ['all', all],
      ['learned', learned],
    ].map(([label, rows]) => {
      const r = rows as number[];
      const differences = r.map((i) => Math.abs(pairs[i].first - pairs[i].again)).sort((a, b) => a - b);
      return [label as string, String(r.length), kendallTau(first(r), again(r)).toFixed(3), spearmanRho(first(r), again(r)).toFixed(3), r2Score(first(r), again(r)).toFixed(3), differences[Math.floor(differences.length / 2)].toFixed(4)];
    }),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  ),
);

const rowOf = pairs.map((p) => table.runs.indexOf(p.run));
const scores = new Map<string, number[][]>();
for (const seed of parseEpochWindow(values.seeds)) {
  const { evaluations } = await evaluateTables(table, evaluationSpec({ window, seed, methods: METHODS.map((name) => findMethod(name) as Method) }));
  for (const r of evaluations) {
    const predicted = (rows: number[]) => rows.map((i) => r.predictions.predicted[rowOf[i]]);
    const list = scores.get(r.name) ?? [];
    list.push([kendallTau(first(all), predicted(all)), kendallTau(first(learned), predicted(learned)), kendallTau(again(all), predicted(all)), r2Score(first(all), predicted(all))]);
    scores.set(r.name, list);
  }
}
const mean = (list: number[][], k: number) => (list.reduce((s, v) => s + v[k], 0) / list.length).toFixed(3);
console.log(`\nOut-of-fold predictions on the same runs, mean over fold seeds ${values.seeds}:`);
console.log(
  renderTable(
    ['method', 'tau vs original', 'tau vs original, learned', 'tau vs replicate', 'R^2 vs original'],
    [...scores].map(([name, list]) => [name, mean(list, 0), mean(list, 1), mean(list, 2), mean(list, 3)]),
    ['left', 'right', 'right', 'right', 'right'],
  ),
);
