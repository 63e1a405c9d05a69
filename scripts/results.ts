/**
 * `npm run results`: recomputes every table of docs/RESULTS.md's study section ("Four
 * architectures, two datasets") from the data kept in results/study/ (run.json files and
 * snapshot tables, scripts/study-data.ts), with no checkpoint, and checks them against the
 * page. Each table sits in RESULTS.md between `<!-- results:NAME -->` and
 * `<!-- /results:NAME -->`. Exits 1 naming every table whose committed text differs from
 * its recomputation (or is missing); `--write` rewrites them in place instead.
 *
 * Every experiment is measured on the same evaluation spec as `epochgraph evaluate`
 * (src/predict/evaluation.ts): every method, 5 grouped folds, seed 0, the study's layout,
 * at each window of `WINDOWS`; a transfer fits on some zoos and tests on others, as
 * `evaluate --test-zoo` does. Zoos whose data is not kept yet are left out of every table.
 * Every evaluation is started at once and shares one pool of `--workers` processes, which
 * keeps them busy; the numbers do not depend on the order they finish in.
 *
 * Two suites: `study` (the default: the study section's tables, the paper's claims) and
 * `small-zoo` (RESULTS.md's "Small zoos on the study's cells": the small-zoo protocol of
 * `epochgraph evaluate --train-size N --repeats R` on each cell, and on each architecture's two
 * cells pooled), or `all`.
 *
 * Usage: npm run results [-- --write] [--suite study|small-zoo|all] [--workers 2] [--only NAME,...]
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listZoo, readRun } from '../src/checkpoint/run.js';
import type { Run } from '../src/checkpoint/run.js';
import { METHODS } from '../src/predict/evaluate-methods.js';
import { EvaluationPool } from '../src/predict/evaluate-workers.js';
import { evaluateSubsamples, evaluateTables, evaluationSpec, specBlocks } from '../src/predict/evaluation.js';
import type { EvaluationSpec, SubsampleEvaluation, ZooEvaluation } from '../src/predict/evaluation.js';
import type { MethodEvaluation } from '../src/predict/evaluate.js';
import type { RunFeatureOptions } from '../src/summary/features.js';
import { buildFeatureTable } from '../src/summary/table.js';
import type { FeatureTable } from '../src/summary/table.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { formatEpochs } from '../src/util/epochs.js';
import { ARCHITECTURES, ARCHITECTURE_LABELS, DATASETS, DATASET_LABELS, STUDY_DATA, STUDY_LAYOUT, STUDY_ZOOS, WINDOWS, keptOrExtractedFeatures, snapshotTableFile, timingsFile } from './study.js';
import type { StudyArchitecture, StudyDataset, StudyZoo } from './study.js';

const PAGE = join('docs', 'RESULTS.md');
/** Methods the targets call graph methods; every method not graph-based is a baseline. */
const GRAPH_METHODS = ['graph', 'graph+curve', 'graph+curve+hyper'];
const BASELINES = METHODS.map((m) => m.name).filter((name) => !name.startsWith('graph'));
const TARGET_WINDOW = [0, 1, 2, 3];

const { values } = parseArgs({
  options: { write: { type: 'boolean', default: false }, suite: { type: 'string', default: 'study' }, workers: { type: 'string', default: '2' }, only: { type: 'string' } },
});
const SUITES = ['study', 'small-zoo', 'all'];
if (!SUITES.includes(values.suite)) {
  process.stderr.write(`results: --suite must be one of ${SUITES.join(', ')}, got ${JSON.stringify(values.suite)}\n`);
  process.exit(2);
}
/** The pool every evaluation shares, started with the first (tables that need none start no process). */
let evaluationPool: EvaluationPool | undefined;
const pool = () => (evaluationPool ??= new EvaluationPool(Number(values.workers)));
const log = (message: string) => process.stderr.write(`${message}\n`);
const started = performance.now();

const kept = STUDY_ZOOS.filter((zoo) => existsSync(snapshotTableFile(join(STUDY_DATA, zoo.name))));
log(`kept zoos: ${kept.map((z) => z.name).join(', ') || 'none'}`);
const cell = (arch: StudyArchitecture, dataset: StudyDataset) => kept.find((z) => z.role === 'cell' && z.arch === arch && z.dataset === dataset);
const cells = DATASETS.flatMap((d) => ARCHITECTURES.flatMap((a) => cell(a, d) ?? []));
const zooLabel = (zoo: StudyZoo) => `${ARCHITECTURE_LABELS[zoo.arch]}${zoo.role === 'cell' ? '' : ` ${zoo.width}`} ${DATASET_LABELS[zoo.dataset]}`;

// ---- feature tables from the kept data -------------------------------------------------

const spec = (window: readonly number[]) => evaluationSpec({ window, layout: STUDY_LAYOUT });
const tableCache = new Map<string, Promise<FeatureTable>>();
const runFeatureCache = new Map<string, ReturnType<typeof keptOrExtractedFeatures>>();
/**
 * The last table build asked for: tables are built one after another, in the order asked,
 * so that the first evaluations start while later tables are built (interleaved, every
 * table would be ready only near the end, the pool idle until then).
 */
let lastBuild: Promise<unknown> = Promise.resolve();
/** The feature table of `zoos` pooled, over `window`, rebuilt from their snapshot tables. */
function featureTable(zoos: readonly StudyZoo[], window: readonly number[]): Promise<FeatureTable> {
  const key = `${zoos.map((z) => z.name).join('+')}@${formatEpochs(window)}`;
  let cached = tableCache.get(key);
  if (!cached) {
    cached = lastBuild.then(async () => {
      const runDirs = (await Promise.all(zoos.map((zoo) => listZoo(join(STUDY_DATA, zoo.name))))).flat();
      const extract = (run: Run, options: RunFeatureOptions) => {
        // A run's features at a window are the same in every table that pools it: computed once.
        const key = `${run.path}@${formatEpochs(window)}`;
        let features = runFeatureCache.get(key);
        if (!features) {
          features = keptOrExtractedFeatures(run, options);
          runFeatureCache.set(key, features);
        }
        return features;
      };
      return buildFeatureTable(runDirs, { window, layout: STUDY_LAYOUT, blocks: specBlocks(spec(window)) }, undefined, extract);
    });
    lastBuild = cached.catch(() => undefined);
    tableCache.set(key, cached);
  }
  return cached;
}

/** Every method on `train` (grouped cross-validation), or fitted on `train` and tested on `test`. */
async function evaluate(train: readonly StudyZoo[], window: readonly number[], test?: readonly StudyZoo[]): Promise<ZooEvaluation> {
  const label = `${train.map((z) => z.name).join('+')}${test ? ` -> ${test.map((z) => z.name).join('+')}` : ''} @ ${formatEpochs(window)}`;
  const result = await evaluateTables(await featureTable(train, window), spec(window), { pool: pool(), testTable: test && (await featureTable(test, window)) });
  log(`  ${label}: done at ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return result;
}

// ---- rendering ---------------------------------------------------------------------------

const fixed = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const tauR2 = (m: MethodEvaluation) => `${fixed(m.kendall_tau)} / ${fixed(m.r2)}`;
const markdown = (header: readonly string[], rows: readonly (readonly string[])[]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const methodOf = (evaluation: ZooEvaluation, name: string) => evaluation.evaluations.find((m) => m.name === name) as MethodEvaluation;
/** The best of `names` in `evaluation` by Kendall tau over all runs. */
const bestOf = (evaluation: ZooEvaluation, names: readonly string[]) =>
  names.map((n) => methodOf(evaluation, n)).reduce((best, m) => (Number.isNaN(best.kendall_tau) || m.kendall_tau > best.kendall_tau ? m : best));

/** Rows of methods, one column per evaluation: tau / R^2 over all test runs. */
function methodTable(columns: readonly Pick<Column, 'label' | 'evaluation'>[]): string {
  return markdown(['method', ...columns.map((c) => c.label)], METHODS.map((m) => [m.name, ...columns.map((c) => tauR2(methodOf(c.evaluation, m.name)))]));
}

/** One evaluation in a table: its column label and the window it was measured at. */
interface Column {
  readonly label: string;
  readonly window: readonly number[];
  readonly evaluation: ZooEvaluation;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Rows of methods, one column per window: the mean Kendall tau over the evaluations at that window. */
function meanTauTable(columns: readonly Column[]): string {
  const rows = METHODS.map((m) => [
    m.name,
    ...WINDOWS.map((window) => {
      const taus = columns.filter((c) => formatEpochs(c.window) === formatEpochs(window)).map((c) => methodOf(c.evaluation, m.name).kendall_tau);
      return fixed(taus.reduce((s, t) => s + t, 0) / taus.length);
    }),
  ]);
  return markdown(['method', ...WINDOWS.map((w) => `mean tau, ${formatEpochs(w)}`)], rows);
}

const tables = new Map<string, string>();
/** Table names of the small-zoo suite start with this; every other table is the study's. */
const SMALL_ZOO = 'small-zoo';
const inSuite = (name: string) => values.suite === 'all' || (values.suite === SMALL_ZOO) === name.startsWith(SMALL_ZOO);
const wanted = (name: string) => inSuite(name) && (!values.only || values.only.split(',').some((prefix) => name.startsWith(prefix)));
/** Each section's tables, computed concurrently: their evaluations share the pool. */
const sections: Promise<void>[] = [];

// ---- the zoos themselves ---------------------------------------------------------------------

if (wanted('zoos') && kept.length > 0) {
  sections.push(
    (async () => {
      const rows = [];
      for (const zoo of kept) {
        const table = await featureTable([zoo], TARGET_WINDOW);
        const finals = [...table.targets].sort((a, b) => a - b);
        const atChance = finals.filter((a) => a <= 0.2).length;
        const diverged = table.diverged.reduce((s, d) => s + d, 0);
        rows.push([zooLabel(zoo), String(zoo.width), String(finals.length), String(atChance), String(diverged), fixed(median(finals)), fixed(finals[finals.length - 1])]);
      }
      tables.set('zoos', markdown(['zoo', 'width', 'runs', 'final accuracy <= 0.2', 'diverged', 'median final accuracy', 'best'], rows));
    })(),
  );
}

// ---- RQ1: each cell, and each dataset's architectures pooled -------------------------------

if (wanted('rq1') && cells.length > 0) {
  sections.push(
    (async () => {
      const evaluations = await Promise.all(WINDOWS.map((window) => Promise.all(cells.map((zoo) => evaluate([zoo], window)))));
      const at = (zoo: StudyZoo, window: readonly number[]) => evaluations[WINDOWS.indexOf(window)][cells.indexOf(zoo)];
      for (const window of WINDOWS) {
        tables.set(`rq1-cells-${formatEpochs(window, '-')}`, methodTable(cells.map((zoo) => ({ label: zooLabel(zoo), evaluation: at(zoo, window) }))));
      }
      const summaryRows = cells.flatMap((zoo) =>
        WINDOWS.map((window) => {
          const evaluation = at(zoo, window);
          const graph = bestOf(evaluation, GRAPH_METHODS);
          const baseline = bestOf(evaluation, BASELINES);
          return [zooLabel(zoo), formatEpochs(window), `${graph.name} ${tauR2(graph)}`, `${baseline.name} ${tauR2(baseline)}`, fixed(graph.kendall_tau - baseline.kendall_tau)];
        }),
      );
      tables.set('rq1-summary', markdown(['cell', 'window', 'best graph method: tau / R^2', 'best baseline: tau / R^2', 'tau difference'], summaryRows));
      const targetWindow = WINDOWS.find((w) => formatEpochs(w) === formatEpochs(TARGET_WINDOW)) as readonly number[];
      const targetRows = cells.map((zoo) => {
        const evaluation = at(zoo, targetWindow);
        const graph = bestOf(evaluation, GRAPH_METHODS);
        const baseline = bestOf(evaluation, BASELINES);
        const learned = evaluation.evaluations.filter((m) => GRAPH_METHODS.includes(m.name)).reduce((best, m) => (m.learned.kendall_tau > best.learned.kendall_tau ? m : best));
        return [zooLabel(zoo), String(evaluation.table.runs.length), String(graph.learned.n), graph.name, fixed(graph.kendall_tau), fixed(graph.r2), `${learned.name} ${fixed(learned.learned.kendall_tau)}`, graph.kendall_tau > baseline.kendall_tau ? 'yes' : `no (${baseline.name} ${fixed(baseline.kendall_tau)})`];
      });
      tables.set('rq1-targets', markdown(['cell', 'runs', 'learned', 'best graph method', 'tau', 'R^2', 'best graph tau, learned runs', 'beats every baseline'], targetRows));
    })(),
  );
}

if (wanted('rq1-pooled')) {
  const pooled = DATASETS.map((d) => ({ dataset: d, zoos: ARCHITECTURES.flatMap((a) => cell(a, d) ?? []) })).filter((p) => p.zoos.length > 1);
  if (pooled.length > 0) {
    sections.push(
      (async () => {
        const columns = await Promise.all(
          pooled.flatMap(({ dataset, zoos }) =>
            WINDOWS.map(async (window) => ({ label: `${DATASET_LABELS[dataset]} (${zoos.length} architectures) ${formatEpochs(window)}`, window, evaluation: await evaluate(zoos, window) })),
          ),
        );
        tables.set('rq1-pooled', methodTable(columns));
      })(),
    );
  }
}

// ---- RQ2: leave one architecture out ------------------------------------------------------

if (wanted('rq2')) {
  for (const dataset of DATASETS) {
    const zoos = ARCHITECTURES.flatMap((a) => cell(a, dataset) ?? []);
    if (zoos.length < 2) continue;
    sections.push(
      (async () => {
        const columns = await Promise.all(
          WINDOWS.flatMap((window) => zoos.map(async (held) => ({ label: `${ARCHITECTURE_LABELS[held.arch]} ${formatEpochs(window)}`, window, evaluation: await evaluate(zoos.filter((z) => z !== held), window, [held]) }))),
        );
        tables.set(`rq2-${dataset}`, methodTable(columns.filter((c) => formatEpochs(c.window) === formatEpochs(TARGET_WINDOW))));
        tables.set(`rq2-${dataset}-windows`, meanTauTable(columns));
      })(),
    );
  }
}

// ---- Transfers: width, and dataset -----------------------------------------------------------

/** Each pair fitted on its first zoo(s) and tested on its second, at every window: one table at the target window, one of means per window. */
async function transferTables(name: string, pairs: readonly { label: string; train: StudyZoo[]; test: StudyZoo[] }[]): Promise<void> {
  if (pairs.length === 0) return;
  const columns = await Promise.all(WINDOWS.flatMap((window) => pairs.map(async (pair) => ({ label: pair.label, window, evaluation: await evaluate(pair.train, window, pair.test) }))));
  tables.set(name, methodTable(columns.filter((c) => formatEpochs(c.window) === formatEpochs(TARGET_WINDOW))));
  tables.set(`${name}-windows`, meanTauTable(columns));
}

if (wanted('width')) {
  const pairs = [];
  for (const arch of ARCHITECTURES) {
    // Narrow and wide; while one of them is not kept, the cell (the width between them) stands in.
    const base = cell(arch, 'fashion-mnist');
    const narrow = kept.find((z) => z.arch === arch && z.role === 'narrow') ?? base;
    const wide = kept.find((z) => z.arch === arch && z.role === 'wide') ?? base;
    if (!narrow || !wide || narrow === wide) continue;
    pairs.push({ label: `${ARCHITECTURE_LABELS[arch]} ${narrow.width} -> ${wide.width}`, train: [narrow], test: [wide] });
    pairs.push({ label: `${ARCHITECTURE_LABELS[arch]} ${wide.width} -> ${narrow.width}`, train: [wide], test: [narrow] });
  }
  sections.push(transferTables('width', pairs));
}

if (wanted('cross-dataset')) {
  const pairs = ARCHITECTURES.flatMap((arch) => {
    const from = cell(arch, 'mnist');
    const to = cell(arch, 'fashion-mnist');
    return from && to ? [{ label: ARCHITECTURE_LABELS[arch], train: [from], test: [to] }] : [];
  });
  if (pairs.length > 1) pairs.push({ label: `${pairs.length} architectures pooled`, train: pairs.flatMap((p) => p.train), test: pairs.flatMap((p) => p.test) });
  sections.push(transferTables('cross-dataset', pairs));
}

// ---- RQ3: time to a prediction -------------------------------------------------------------

if (wanted('rq3') && cells.length > 0) {
  const rows = [];
  for (const arch of ARCHITECTURES) {
    const zoos = DATASETS.flatMap((d) => cell(arch, d) ?? []);
    if (zoos.length === 0) continue;
    const epochSeconds: number[] = [];
    const fullSeconds: number[] = [];
    const extraction: Record<string, number[]> = {};
    for (const zoo of zoos) {
      const dir = join(STUDY_DATA, zoo.name);
      for (const runDir of await listZoo(dir)) {
        const run = await readRun(runDir);
        if (run.diverged_at_epoch !== undefined) continue;
        const seconds = run.history.flatMap((h) => (h.seconds === undefined ? [] : [h.seconds]));
        epochSeconds.push(...seconds);
        fullSeconds.push(seconds.reduce((s, v) => s + v, 0));
      }
      const timings = JSON.parse(await readFile(timingsFile(dir), 'utf8')) as { seconds: Record<string, number[]> };
      for (const [window, values] of Object.entries(timings.seconds)) (extraction[window] ??= []).push(...values);
    }
    const perEpoch = median(epochSeconds);
    const full = median(fullSeconds);
    const epochs = Math.round(full / perEpoch);
    const cellsOfRow = WINDOWS.map((window) => {
      const k = window[window.length - 1];
      const extract = median(extraction[formatEpochs(window, '-')] ?? [NaN]);
      const replaced = (epochs - k) * perEpoch;
      return `${fixed(((k * perEpoch + extract) / full) * 100, 0)}% / ${fixed(extract, 2)} s / ${fixed((extract / replaced) * 100, 2)}%`;
    });
    rows.push([ARCHITECTURE_LABELS[arch], fixed(perEpoch, 2), fixed(full, 1), ...cellsOfRow]);
  }
  tables.set('rq3', markdown(['architecture', 'training s / epoch (median)', 'training s / run (median)', ...WINDOWS.map((w) => `at epoch ${w[w.length - 1]}: share of the run / extraction s / extraction share of the rest`)], rows));
}

// ---- Small zoos: the small-zoo protocol on each cell ----------------------------------------

/** Training runs drawn from one cell (of 120), and from one architecture's two cells pooled (240). */
const CELL_SIZES = [20, 60, 100];
const POOLED_SIZE = 200;
const DRAWS = 10;
/** Methods of the small-zoo tables, and those also measured correcting the `last-acc` prior (at N = 60). */
const SMALL_ZOO_METHODS = ['graph', 'graph+curve', 'graph-compact', 'curve', 'last-acc', 'lc-extrapolate'];
const PRIOR_METHODS = ['graph', 'graph+curve', 'curve'];
const PRIOR_SIZE = 60;
const NO_MODEL = ['last-acc', 'lc-extrapolate'];

if (wanted(SMALL_ZOO) && cells.length > 0) {
  const methodsNamed = (names: readonly string[]) => METHODS.filter((m) => names.includes(m.name));
  const plain = evaluationSpec({ window: TARGET_WINDOW, layout: STUDY_LAYOUT, methods: methodsNamed(SMALL_ZOO_METHODS) });
  const withPrior = evaluationSpec(plain, { methods: methodsNamed(PRIOR_METHODS), pipeline: { prior: 'last-acc' } });
  const subsampled = async (zoos: readonly StudyZoo[], spec: EvaluationSpec, trainSize: number) =>
    evaluateSubsamples(await featureTable(zoos, TARGET_WINDOW), spec, { trainSize, repeats: DRAWS }, { pool: pool() });
  const pooledArchitectures = ARCHITECTURES.map((a) => DATASETS.flatMap((d) => cell(a, d) ?? [])).filter((zoos) => zoos.length === DATASETS.length);
  const cellEntries = cells.map((zoo) => ({ label: zooLabel(zoo), zoos: [zoo] }));
  const groups = [
    ...CELL_SIZES.map((size) => ({ name: `${SMALL_ZOO}-${size}`, label: `${size}`, size, spec: plain, entries: cellEntries })),
    { name: `${SMALL_ZOO}-${PRIOR_SIZE}-prior`, label: `${PRIOR_SIZE}, prior last-acc`, size: PRIOR_SIZE, spec: withPrior, entries: cellEntries },
    { name: `${SMALL_ZOO}-${POOLED_SIZE}`, label: `${POOLED_SIZE} (both datasets pooled)`, size: POOLED_SIZE, spec: plain, entries: pooledArchitectures.map((zoos) => ({ label: ARCHITECTURE_LABELS[zoos[0].arch], zoos })) },
  ];
  sections.push(
    (async () => {
      const results = await Promise.all(groups.map((g) => Promise.all(g.entries.map((e) => subsampled(e.zoos, g.spec, g.size)))));
      const method = (evaluation: SubsampleEvaluation, name: string) => evaluation.methods.find((m) => m.name === name) as SubsampleEvaluation['methods'][number];
      const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
      const plainAtPriorSize = results[CELL_SIZES.indexOf(PRIOR_SIZE)];
      // Per N: each method's tau averaged over the zoos, and in how many zoos the best graph
      // method reaches both no-model baselines (with the prior: those of the same draws without it).
      const summaryRows = groups.map((g, k) => {
        const names = g.spec.methods.map((m) => m.name);
        const reached = results[k].filter((evaluation, z) => {
          const graph = Math.max(...names.filter((n) => n.startsWith('graph')).map((n) => method(evaluation, n).kendall_tau));
          const baselines = g.spec === withPrior ? plainAtPriorSize[z] : evaluation;
          return graph >= Math.max(...NO_MODEL.map((n) => method(baselines, n).kendall_tau));
        }).length;
        const means = SMALL_ZOO_METHODS.map((n) => (names.includes(n) ? fixed(mean(results[k].map((e) => method(e, n).kendall_tau))) : ''));
        return [g.label, String(results[k].length), ...means, `${reached} of ${results[k].length}`];
      });
      tables.set(`${SMALL_ZOO}-summary`, markdown(['N', 'zoos', ...SMALL_ZOO_METHODS, 'best graph method >= last-acc and lc-extrapolate'], summaryRows));
      for (const [k, g] of groups.entries()) {
        const names = g.spec.methods.map((m) => m.name);
        const rows = g.entries.map((e, z) => [e.label, ...names.map((n) => `${fixed(method(results[k][z], n).kendall_tau)} (${fixed(method(results[k][z], n).sd.kendall_tau)})`)]);
        tables.set(g.name, markdown(['zoo', ...names], rows));
      }
    })(),
  );
}

try {
  await Promise.all(sections);
} finally {
  evaluationPool?.close();
}

// ---- check or write the page -----------------------------------------------------------------

let page = await readFile(PAGE, 'utf8');
const failures: string[] = [];
for (const [name, table] of tables) {
  const open = `<!-- results:${name} -->`;
  const close = `<!-- /results:${name} -->`;
  const start = page.indexOf(open);
  const end = page.indexOf(close);
  if (start < 0 || end < start) {
    failures.push(`${name}: no ${open} ... ${close} block in ${PAGE}`);
    continue;
  }
  const committed = page.slice(start + open.length, end).trim();
  if (committed === table) continue;
  if (values.write) page = `${page.slice(0, start + open.length)}\n${table}\n${page.slice(end)}`;
  else failures.push(`${name}: ${PAGE} differs from the recomputed table:\n${table}`);
}
if (values.write) await writeFileAtomic(PAGE, page);
log(`${tables.size} tables recomputed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (failures.length > 0) {
  for (const failure of failures) log(`results: ${failure}`);
  process.exit(1);
}
log(values.write ? `results: ${PAGE} updated` : `results: every table of ${PAGE} matches`);
