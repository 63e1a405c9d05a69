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
 *
 * Usage: npm run results [-- --write] [--workers 2] [--only NAME,...]
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { listZoo } from '../src/checkpoint/run.js';
import type { Run } from '../src/checkpoint/run.js';
import { METHODS } from '../src/predict/evaluate-methods.js';
import { evaluateTables, evaluationSpec, specBlocks } from '../src/predict/evaluation.js';
import type { ZooEvaluation } from '../src/predict/evaluation.js';
import type { MethodEvaluation } from '../src/predict/evaluate.js';
import { windowFeatures } from '../src/summary/features.js';
import type { RunSnapshots } from '../src/summary/features.js';
import { readSnapshotTable } from '../src/summary/snapshot-table.js';
import { buildFeatureTable } from '../src/summary/table.js';
import type { FeatureTable } from '../src/summary/table.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { formatEpochs } from '../src/util/epochs.js';
import { ARCHITECTURES, ARCHITECTURE_LABELS, DATASETS, DATASET_LABELS, STUDY_DATA, STUDY_LAYOUT, STUDY_ZOOS, WINDOWS, snapshotTableFile, timingsFile } from './study.js';
import type { StudyArchitecture, StudyDataset, StudyZoo } from './study.js';

const PAGE = join('docs', 'RESULTS.md');
/** Methods the targets call graph methods; every method not graph-based is a baseline. */
const GRAPH_METHODS = ['graph', 'graph+curve', 'graph+curve+hyper'];
const BASELINES = METHODS.map((m) => m.name).filter((name) => !name.startsWith('graph'));
const TARGET_WINDOW = [0, 1, 2, 3];

const { values } = parseArgs({ options: { write: { type: 'boolean', default: false }, workers: { type: 'string', default: '2' }, only: { type: 'string' } } });
const workers = Number(values.workers);
const log = (message: string) => process.stderr.write(`${message}\n`);
const started = performance.now();

const kept = STUDY_ZOOS.filter((zoo) => existsSync(snapshotTableFile(join(STUDY_DATA, zoo.name))));
log(`kept zoos: ${kept.map((z) => z.name).join(', ') || 'none'}`);
const cell = (arch: StudyArchitecture, dataset: StudyDataset) => kept.find((z) => z.role === 'cell' && z.arch === arch && z.dataset === dataset);
const cells = DATASETS.flatMap((d) => ARCHITECTURES.flatMap((a) => cell(a, d) ?? []));
const zooLabel = (zoo: StudyZoo) => `${ARCHITECTURE_LABELS[zoo.arch]}${zoo.role === 'cell' ? '' : ` ${zoo.width}`} ${DATASET_LABELS[zoo.dataset]}`;

// ---- feature tables from the kept data -------------------------------------------------

const snapshotCache = new Map<string, Promise<Map<string, RunSnapshots>>>();
function snapshotsOf(zoo: StudyZoo): Promise<Map<string, RunSnapshots>> {
  let cached = snapshotCache.get(zoo.name);
  if (!cached) {
    cached = readSnapshotTable(snapshotTableFile(join(STUDY_DATA, zoo.name))).then((t) => new Map([...t.runs].map(([key, run]) => [key, run.snapshots])));
    snapshotCache.set(zoo.name, cached);
  }
  return cached;
}

const spec = (window: readonly number[]) => evaluationSpec({ window, layout: STUDY_LAYOUT });
const tableCache = new Map<string, Promise<FeatureTable>>();
const runFeatureCache = new Map<string, ReturnType<typeof windowFeatures>>();
/** The feature table of `zoos` pooled, over `window`, rebuilt from their snapshot tables. */
function featureTable(zoos: readonly StudyZoo[], window: readonly number[]): Promise<FeatureTable> {
  const key = `${zoos.map((z) => z.name).join('+')}@${formatEpochs(window)}`;
  let cached = tableCache.get(key);
  if (!cached) {
    cached = (async () => {
      const byRun = new Map<string, RunSnapshots>();
      const runDirs: string[] = [];
      for (const zoo of zoos) {
        const snapshots = await snapshotsOf(zoo);
        for (const dir of await listZoo(join(STUDY_DATA, zoo.name))) {
          const found = snapshots.get(basename(dir));
          if (!found) throw new Error(`${dir}: not in ${snapshotTableFile(join(STUDY_DATA, zoo.name))}`);
          byRun.set(dir, found);
          runDirs.push(dir);
        }
      }
      const extract = async (run: Run, options: Parameters<typeof windowFeatures>[2]) => {
        // A run's features at a window are the same in every table that pools it: computed once.
        const key = `${run.path}@${formatEpochs(window)}`;
        let features = runFeatureCache.get(key);
        if (!features) {
          features = windowFeatures(run, byRun.get(run.path) as RunSnapshots, options);
          runFeatureCache.set(key, features);
        }
        return features;
      };
      return buildFeatureTable(runDirs, { window, layout: STUDY_LAYOUT, blocks: specBlocks(spec(window)) }, undefined, extract);
    })();
    tableCache.set(key, cached);
  }
  return cached;
}

/** Every method on `train` (grouped cross-validation), or fitted on `train` and tested on `test`. */
async function evaluate(train: readonly StudyZoo[], window: readonly number[], test?: readonly StudyZoo[]): Promise<ZooEvaluation> {
  const label = `${train.map((z) => z.name).join('+')}${test ? ` -> ${test.map((z) => z.name).join('+')}` : ''} @ ${formatEpochs(window)}`;
  const t0 = performance.now();
  const result = await evaluateTables(await featureTable(train, window), spec(window), { workers, testTable: test && (await featureTable(test, window)) });
  log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
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
const wanted = (name: string) => !values.only || values.only.split(',').some((prefix) => name.startsWith(prefix));

// ---- the zoos themselves ---------------------------------------------------------------------

if (wanted('zoos') && kept.length > 0) {
  const rows = [];
  for (const zoo of kept) {
    const table = await featureTable([zoo], TARGET_WINDOW);
    const finals = [...table.targets].sort((a, b) => a - b);
    const atChance = finals.filter((a) => a <= 0.2).length;
    const diverged = table.diverged.reduce((s, d) => s + d, 0);
    rows.push([zooLabel(zoo), String(zoo.width), String(finals.length), String(atChance), String(diverged), fixed(median(finals)), fixed(finals[finals.length - 1])]);
  }
  tables.set('zoos', markdown(['zoo', 'width', 'runs', 'final accuracy <= 0.2', 'diverged', 'median final accuracy', 'best'], rows));
}

// ---- RQ1: each cell, and each dataset's architectures pooled -------------------------------

if (wanted('rq1') && cells.length > 0) {
  log('RQ1: each cell');
  const byCell = new Map<string, ZooEvaluation>();
  for (const window of WINDOWS) {
    for (const zoo of cells) byCell.set(`${zoo.name}@${formatEpochs(window)}`, await evaluate([zoo], window));
    tables.set(`rq1-cells-${formatEpochs(window, '-')}`, methodTable(cells.map((zoo) => ({ label: zooLabel(zoo), evaluation: byCell.get(`${zoo.name}@${formatEpochs(window)}`)! }))));
  }
  const summaryRows = cells.flatMap((zoo) =>
    WINDOWS.map((window) => {
      const evaluation = byCell.get(`${zoo.name}@${formatEpochs(window)}`)!;
      const graph = bestOf(evaluation, GRAPH_METHODS);
      const baseline = bestOf(evaluation, BASELINES);
      return [zooLabel(zoo), formatEpochs(window), `${graph.name} ${tauR2(graph)}`, `${baseline.name} ${tauR2(baseline)}`, fixed(graph.kendall_tau - baseline.kendall_tau)];
    }),
  );
  tables.set('rq1-summary', markdown(['cell', 'window', 'best graph method: tau / R^2', 'best baseline: tau / R^2', 'tau difference'], summaryRows));
  const targetRows = cells.map((zoo) => {
    const evaluation = byCell.get(`${zoo.name}@${formatEpochs(TARGET_WINDOW)}`)!;
    const graph = bestOf(evaluation, GRAPH_METHODS);
    const baseline = bestOf(evaluation, BASELINES);
    const learned = evaluation.evaluations.filter((m) => GRAPH_METHODS.includes(m.name)).reduce((best, m) => (m.learned.kendall_tau > best.learned.kendall_tau ? m : best));
    return [zooLabel(zoo), String(evaluation.table.runs.length), String(graph.learned.n), graph.name, fixed(graph.kendall_tau), fixed(graph.r2), `${learned.name} ${fixed(learned.learned.kendall_tau)}`, graph.kendall_tau > baseline.kendall_tau ? 'yes' : `no (${baseline.name} ${fixed(baseline.kendall_tau)})`];
  });
  tables.set('rq1-targets', markdown(['cell', 'runs', 'learned', 'best graph method', 'tau', 'R^2', 'best graph tau, learned runs', 'beats every baseline'], targetRows));
}

if (wanted('rq1-pooled')) {
  const pooled = DATASETS.map((d) => ({ dataset: d, zoos: ARCHITECTURES.flatMap((a) => cell(a, d) ?? []) })).filter((p) => p.zoos.length > 1);
  if (pooled.length > 0) {
    log('RQ1: each dataset pooled');
    const columns: Column[] = [];
    for (const { dataset, zoos } of pooled) {
      for (const window of WINDOWS) columns.push({ label: `${DATASET_LABELS[dataset]} (${zoos.length} architectures) ${formatEpochs(window)}`, window, evaluation: await evaluate(zoos, window) });
    }
    tables.set('rq1-pooled', methodTable(columns));
  }
}

// ---- RQ2: leave one architecture out ------------------------------------------------------

if (wanted('rq2')) {
  for (const dataset of DATASETS) {
    const zoos = ARCHITECTURES.flatMap((a) => cell(a, dataset) ?? []);
    if (zoos.length < 2) continue;
    log(`RQ2: leave one architecture out, ${dataset}`);
    const columns: Column[] = [];
    for (const window of WINDOWS) {
      for (const held of zoos) columns.push({ label: `${ARCHITECTURE_LABELS[held.arch]} ${formatEpochs(window)}`, window, evaluation: await evaluate(zoos.filter((z) => z !== held), window, [held]) });
    }
    tables.set(`rq2-${dataset}`, methodTable(columns.filter((c) => formatEpochs(c.window) === formatEpochs(TARGET_WINDOW))));
    tables.set(`rq2-${dataset}-windows`, meanTauTable(columns));
  }
}

// ---- Transfers: width, and dataset -----------------------------------------------------------

/** Each pair fitted on its first zoo(s) and tested on its second, at every window: one table at the target window, one of means per window. */
async function transferTables(name: string, pairs: readonly { label: string; train: StudyZoo[]; test: StudyZoo[] }[]): Promise<void> {
  if (pairs.length === 0) return;
  log(`transfer: ${name}`);
  const columns: Column[] = [];
  for (const window of WINDOWS) for (const pair of pairs) columns.push({ label: pair.label, window, evaluation: await evaluate(pair.train, window, pair.test) });
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
  await transferTables('width', pairs);
}

if (wanted('cross-dataset')) {
  const pairs = ARCHITECTURES.flatMap((arch) => {
    const from = cell(arch, 'mnist');
    const to = cell(arch, 'fashion-mnist');
    return from && to ? [{ label: ARCHITECTURE_LABELS[arch], train: [from], test: [to] }] : [];
  });
  if (pairs.length > 1) pairs.push({ label: `${pairs.length} architectures pooled`, train: pairs.flatMap((p) => p.train), test: pairs.flatMap((p) => p.test) });
  await transferTables('cross-dataset', pairs);
}

// ---- RQ3: time to a prediction -------------------------------------------------------------

if (wanted('rq3') && cells.length > 0) {
  log('RQ3: time to a prediction');
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
        const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { history: { epoch: number; seconds?: number }[]; diverged_at_epoch?: number };
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
