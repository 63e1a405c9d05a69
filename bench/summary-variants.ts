/**
 * Benchmark: which graph summary predicts final accuracy best on one zoo. Every variant is
 * scored on the same grouped k-fold cross-validation and epoch window as `epochgraph
 * evaluate`, repeated over fold seeds:
 * - feature layouts `per-layer` and `agnostic`;
 * - the graph block whole, restricted to its per-epoch values (`graph:e<k>.*`), to its
 *   changes between consecutive epochs (`graph:d<i>_<j>.*`), or to its layer-level values
 *   (total weight and spectral radius of the graph and of each layer, or their normalised
 *   forms in the agnostic layout; every epoch, change and relative change), to its update
 *   features between consecutive epochs (`graph:u<i>_<j>.*`), or without them, alone and
 *   with the learning curve;
 * - estimators fitted on the logit of the final accuracy or on the accuracy itself;
 * - all runs, and each architecture's runs alone (columns empty for all of them dropped);
 * beside the baselines curve, weights and last-acc. Prints, per variant, the mean (and
 * standard deviation over seeds) of Kendall's tau over all runs and over the runs that did
 * not diverge, and of R^2 over all runs.
 *
 * Usage: npm run bench:summary -- ZOO [--epochs 0-3] [--seeds 0-4] [--targets logit,none] [--folds 5]
 *        [--layouts per-layer,agnostic] [--subsets all,arch]
 */
import { parseArgs } from 'node:util';
import { listZoo, readRun } from '../src/checkpoint/run.js';
import { renderTable } from '../src/cli/output.js';
import { findMethod } from '../src/predict/evaluate-methods.js';
import type { Method } from '../src/predict/evaluate-methods.js';
import type { Metrics } from '../src/predict/evaluate.js';
import { evaluateTables, evaluationSpec } from '../src/predict/evaluation.js';
import type { TargetTransform } from '../src/predict/target.js';
import { parseColumn, parseGraphFeature, parseTemporalFeature } from '../src/summary/columns.js';
import { FEATURE_BLOCKS } from '../src/summary/features.js';
import { LAYOUTS } from '../src/summary/snapshot.js';
import type { FeatureLayout } from '../src/summary/snapshot.js';
import { buildFeatureTable } from '../src/summary/table.js';
import type { FeatureTable } from '../src/summary/table.js';
import { parseEpochWindow } from '../src/util/epochs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '0-3' },
    seeds: { type: 'string', default: '0-4' },
    targets: { type: 'string', default: 'logit,none' },
    folds: { type: 'string', default: '5' },
    layouts: { type: 'string', default: LAYOUTS.join(',') },
    subsets: { type: 'string', default: 'all,arch' },
  },
});
if (positionals.length !== 1) throw new Error('usage: npm run bench:summary -- ZOO [--epochs 0-3] [--seeds 0-4] [--targets logit,none]');
const zoo = positionals[0];
const window = parseEpochWindow(values.epochs);
const seeds = parseEpochWindow(values.seeds);
const targets = values.targets.split(',') as TargetTransform[];
const folds = Number(values.folds);

/** The temporal term of a column and the graph feature it applies to. */
const temporal = (column: string) => parseTemporalFeature(parseColumn(column).feature);
const LAYER_LEVEL = new Set(['spectral_radius', 'total_weight', 'spectral_radius_normalised', 'mean_edge_weight']);

/** Graph-column restrictions: which `graph:` columns a variant keeps. */
const GRAPH_VARIANTS: Readonly<Record<string, (column: string) => boolean>> = {
  whole: () => true,
  values: (column) => temporal(column)?.term === 'value',
  changes: (column) => temporal(column)?.term === 'change',
  'layer-level': (column) => LAYER_LEVEL.has(parseGraphFeature(temporal(column)?.name ?? '').property),
  updates: (column) => temporal(column)?.term === 'update',
  'without updates': (column) => temporal(column)?.term !== 'update',
};
const layouts = values.layouts.split(',') as FeatureLayout[];
for (const layout of layouts) if (!(LAYOUTS as readonly string[]).includes(layout)) throw new Error(`--layouts: unknown layout ${layout}`);

const method = (name: string): Method => findMethod(name) as Method;

/** Rows `rows` of `table`, its graph columns restricted by `keep`; columns empty in every kept row are dropped. */
function restrict(table: FeatureTable, rows: readonly number[], keep: (column: string) => boolean): FeatureTable {
  const width = table.columns.length;
  const columns = table.columns.flatMap((name, c) =>
    (parseColumn(name).block !== 'graph' || keep(name)) && rows.some((r) => !Number.isNaN(table.matrix[r * width + c])) ? [c] : [],
  );
  const matrix = new Float64Array(rows.length * columns.length);
  rows.forEach((r, i) => columns.forEach((c, j) => (matrix[i * columns.length + j] = table.matrix[r * width + c])));
  return {
    runs: rows.map((r) => table.runs[r]),
    ids: rows.map((r) => table.ids[r]),
    groups: rows.map((r) => table.groups[r]),
    configs: rows.map((r) => table.configs[r]),
    targets: Float64Array.from(rows, (r) => table.targets[r]),
    diverged: Uint8Array.from(rows, (r) => table.diverged[r]),
    columns: columns.map((c) => table.columns[c]),
    matrix,
  };
}

interface Score {
  readonly r2: number;
  readonly tau: number;
  readonly tauLearned: number;
}
const scores = new Map<string, Score[]>();
const record = (key: string, m: Metrics & { learned: Metrics }) => scores.set(key, [...(scores.get(key) ?? []), { r2: m.r2, tau: m.kendall_tau, tauLearned: m.learned.kendall_tau }]);

const runDirs = await listZoo(zoo);
const archs = await Promise.all(runDirs.map(async (dir) => String((await readRun(dir)).config.arch)));
const subsetNames = values.subsets.split(',');
const subsets: [string, number[]][] = subsetNames.includes('all') ? [['all runs', runDirs.map((_, i) => i)]] : [];
if (subsetNames.includes('arch')) for (const arch of [...new Set(archs)].sort()) subsets.push([`${arch} only`, archs.flatMap((a, i) => (a === arch ? [i] : []))]);
const tables = new Map<string, FeatureTable>();
for (const layout of layouts) tables.set(layout, await buildFeatureTable(runDirs, { window, layout, blocks: [...FEATURE_BLOCKS] }));

const started = performance.now();
for (const seed of seeds) {
  for (const [subset, rows] of subsets) {
    for (const target of targets) {
      const evaluate = async (table: FeatureTable, methods: Method[], label: (name: string) => string) => {
        const { evaluations } = await evaluateTables(table, evaluationSpec({ window, folds, seed, methods, pipeline: { target } }));
        for (const r of evaluations) record(`${subset}|${r.name === 'last-acc' ? '-' : target}|${label(r.name)}`, r);
      };
      const perLayer = (tables.get('per-layer') ?? tables.get(layouts[0])) as FeatureTable;
      const baselines = [method('curve'), ...(target === targets[0] ? [method('last-acc')] : [])];
      await evaluate(restrict(perLayer, rows, () => true), baselines, (name) => `-|${name}`);
      for (const layout of layouts) {
        for (const [variant, keep] of Object.entries(GRAPH_VARIANTS)) {
          const methods = [method('graph'), method('graph+curve'), ...(variant === 'whole' ? [method('weights')] : [])];
          await evaluate(restrict(tables.get(layout) as FeatureTable, rows, keep), methods, (name) => `${layout}|${name === 'weights' ? name : `${name} [${variant}]`}`);
        }
      }
      process.stderr.write(`seed ${seed}, ${subset}, ${target}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
  }
}

const stat = (list: number[]) => {
  const mean = list.reduce((a, b) => a + b, 0) / list.length;
  const sd = Math.sqrt(list.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, list.length - 1));
  return `${mean.toFixed(3)} (${sd.toFixed(3)})`;
};
console.log(`${zoo}: window ${values.epochs}, grouped ${folds}-fold cross-validation, fold seeds ${values.seeds}; mean (sd over seeds)\n`);
console.log(
  renderTable(
    ['runs', 'target', 'layout', 'method [graph columns]', 'R^2', 'Kendall tau', 'tau, learned'],
    [...scores].map(([key, list]) => [...key.split('|'), stat(list.map((s) => s.r2)), stat(list.map((s) => s.tau)), stat(list.map((s) => s.tauLearned))]),
    ['left', 'left', 'left', 'left', 'right', 'right', 'right'],
  ),
);
