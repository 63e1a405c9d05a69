/**
 * Benchmark: fit time and held-out R^2 of epochgraph's HistGradientBoostingRegressor beside
 * scikit-learn's with the same settings on the same tables (defaults: learning rate 0.1,
 * 100 iterations, 31 leaves, 20 rows per leaf, 255 bins, no early stopping), and of
 * RidgeRegressor beside RidgeCV on standardised features with the same alpha grid.
 * scikit-learn runs from /usr/bin/python3 (Debian's python3-sklearn) once with
 * OMP_NUM_THREADS=1 and once with its default threads; figures are medians of the repeats.
 *
 * Tables (training rows x features, and as many held-out rows), written as .npy files
 * to a temporary folder that the peer reads:
 * - friedman1: Friedman #1 with 5 informative features among 300, noise 1;
 * - runs: a table shaped like a zoo's feature table (see `runsTable`), with missing values.
 *
 * Usage: npm run bench:regressor [-- --repeats 5 --rows 5000 --cols 300 --keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { r2Score } from '../src/predict/evaluate-metrics.js';
import { HistGradientBoostingRegressor } from '../src/predict/gbt.js';
import { matrix } from '../src/predict/matrix.js';
import type { Regressor } from '../src/predict/regressor.js';
import { RidgeRegressor } from '../src/predict/ridge.js';
import { createRng, type Rng } from '../src/util/random.js';
import { friedman1, type Dataset } from '../test/predict/synthetic.js';
import { median, printComparison } from './report.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    rows: { type: 'string', default: '5000' },
    cols: { type: 'string', default: '300' },
    keep: { type: 'string' },
  },
});
const repeats = Number(values.repeats);
const rows = Number(values.rows);
const cols = Number(values.cols);

/**
 * A table shaped like a zoo's feature table, one row per training run with its final accuracy
 * as target. Latent factors of a run (log10 learning rate, dropout, log2 width, a seed effect)
 * set its accuracy: about 10% of runs (the largest learning rates) diverge and sit at chance,
 * 0.1; the others end between about 0.55 and 0.98. Features: a tenth are learning-curve-like
 * (accuracy after epoch 0-3 approaching the final one at a run-dependent speed); the rest are
 * random mixes of the factors plus noise passed through a shape common in summaries (identity,
 * log-normal tail, saturation, square), scaled by 1e-3 to 1e3; some are integers, a few are
 * constant, some are missing (NaN) for diverged runs or at random.
 */
function runsTable(n: number, p: number, rng: Rng, columnRng: Rng): Dataset {
  const kinds = Array.from({ length: p }, (_, j) => {
    if (j < 3) return { kind: 'constant' as const };
    if (j % 10 === 3) return { kind: 'curve' as const, epoch: (j >> 4) % 4 };
    const mix = Array.from({ length: 5 }, () => columnRng.normal());
    const shape = Math.floor(columnRng.uniform() * 4);
    const u = columnRng.uniform();
    return {
      kind: 'mix' as const,
      mix,
      noise: 0.5 + 1.5 * columnRng.uniform(),
      shape,
      scale: 10 ** (-3 + 6 * columnRng.uniform()),
      integer: u < 0.05,
      missing: u > 0.85 ? ('diverged' as const) : u > 0.75 ? ('random' as const) : null,
    };
  });
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const logLr = -4 + 3.7 * rng.uniform();
    const dropout = 0.8 * rng.uniform();
    const logWidth = 4 + Math.floor(4 * rng.uniform());
    const seed = rng.normal();
    const diverged = logLr > -1 && rng.uniform() < (logLr + 1) / 0.7;
    const quality = -((logLr + 2) ** 2) / 1.5 - 1.5 * dropout ** 2 + 0.15 * (logWidth - 4) + 0.1 * seed;
    y[i] = diverged ? 0.1 + 0.01 * rng.uniform() : 0.55 + 0.43 / (1 + Math.exp(-2 * (quality + 1))) + 0.02 * rng.normal();
    const speed = Math.exp(0.5 * quality + 0.2 * rng.normal());
    const factors = [logLr, dropout, logWidth, seed, quality];
    for (let j = 0; j < p; j++) {
      const column = kinds[j];
      let v: number;
      if (column.kind === 'constant') v = j;
      else if (column.kind === 'curve') v = 0.1 + (y[i] - 0.1) * (1 - Math.exp(-(column.epoch + 1) * speed)) + 0.04 * rng.normal();
      else {
        let mixed = column.noise * rng.normal();
        for (let k = 0; k < 5; k++) mixed += column.mix[k] * factors[k];
        const shaped = column.shape === 0 ? mixed : column.shape === 1 ? Math.exp(mixed / 4) : column.shape === 2 ? Math.tanh(mixed / 3) : mixed * mixed;
        v = column.integer ? Math.round(shaped * 3) : shaped * column.scale;
        if ((column.missing === 'diverged' && diverged) || (column.missing === 'random' && rng.uniform() < 0.05)) v = NaN;
      }
      data[i * p + j] = v;
    }
  }
  return { X: matrix(data, n, p), y };
}

/** Bytes of a .npy file (format 1.0) holding a little-endian float64 array of `shape`. */
function npy(values: Float64Array, shape: readonly number[]): Buffer {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, ending in \n.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = Buffer.alloc(10);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(headerLength, 8);
  const text = Buffer.from(dict.padEnd(headerLength - 1, ' ') + '\n', 'latin1');
  return Buffer.concat([header, text, Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

function writeTable(folder: string, name: string, train: Dataset, test: Dataset): void {
  for (const [part, set] of [['train', train], ['test', test]] as const) {
    writeFileSync(join(folder, `${name}_X_${part}.npy`), npy(set.X.data, [set.X.rows, set.X.cols]));
    writeFileSync(join(folder, `${name}_y_${part}.npy`), npy(set.y, [set.y.length]));
  }
}

/** Fit times (s) and the held-out R^2 of the last fit. */
interface Measured {
  seconds: number[];
  r2: number;
  model?: Regressor;
}

function fitOnce(make: () => Regressor, train: Dataset, test: Dataset, into: Measured): void {
  const model = make();
  const start = performance.now();
  model.fit(train.X, train.y);
  into.seconds.push((performance.now() - start) / 1000);
  into.r2 = r2Score(test.y, model.predict(test.X));
  into.model = model;
}

interface PeerRun {
  sklearn: string;
  threads: number;
  results: Record<string, { gbt: Measured & { n_iter: number }; ridge?: Measured & { alpha: number } }>;
}

/** Runs the peer once (one fit per table and estimator); undefined when it cannot run. */
function runPeer(folder: string, tables: readonly string[], threads: 'one' | 'default'): PeerRun | undefined {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return undefined;
  const env = { ...process.env };
  if (threads === 'one') env.OMP_NUM_THREADS = '1';
  else delete env.OMP_NUM_THREADS;
  const script = resolve(import.meta.dirname, 'peers', 'sklearn_regressor.py');
  const result = spawnSync(python, [script, folder, '1', ...tables], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (result.status !== 0) {
    console.log(`(scikit-learn peer unavailable: ${result.stderr.trim().split('\n').at(-1)})`);
    return undefined;
  }
  return JSON.parse(result.stdout) as PeerRun;
}

/** Appends one peer run's figures to `into`. */
function merge(into: PeerRun | undefined, run: PeerRun | undefined): PeerRun | undefined {
  if (!run || !into) return run;
  for (const [table, result] of Object.entries(run.results)) {
    into.results[table].gbt.seconds.push(...result.gbt.seconds);
    if (result.ridge) into.results[table].ridge!.seconds.push(...result.ridge.seconds);
  }
  return into;
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

const folder = values.keep ?? mkdtempSync(join(tmpdir(), 'epochgraph-bench-regressor-'));
mkdirSync(folder, { recursive: true });
const rng = createRng(20240601);
const tables: Record<string, { train: Dataset; test: Dataset }> = {
  friedman1: { train: friedman1(rows, cols, 1, rng), test: friedman1(rows, cols, 1, rng) },
};
const runs = runsTable(2 * rows, cols, rng, createRng(7));
const half = (set: Dataset, from: number): Dataset => ({
  X: matrix(set.X.data.slice(from * cols, (from + rows) * cols), rows, cols),
  y: set.y.slice(from, from + rows),
});
tables.runs = { train: half(runs, 0), test: half(runs, rows) };
for (const [name, { train, test }] of Object.entries(tables)) writeTable(folder, name, train, test);

const names = Object.keys(tables);
const ours: Record<string, { gbt: Measured; ridge?: Measured }> = {};
const makeGbt = () => new HistGradientBoostingRegressor({ earlyStopping: false });
const makeRidge = () => new RidgeRegressor();
for (const name of names) {
  const { train } = tables[name];
  // One untimed fit each first: JIT compilation.
  ours[name] = { gbt: { seconds: [], r2: NaN } };
  makeGbt().fit(train.X, train.y);
  if (!train.X.data.some(Number.isNaN)) {
    ours[name].ridge = { seconds: [], r2: NaN };
    makeRidge().fit(train.X, train.y);
  }
}
// Repeats alternate between epochgraph and the peers, so that load from other processes
// on the machine weighs on both alike.
let one: PeerRun | undefined;
let all: PeerRun | undefined;
for (let r = 0; r < repeats; r++) {
  for (const name of names) {
    const { train, test } = tables[name];
    fitOnce(makeGbt, train, test, ours[name].gbt);
    if (ours[name].ridge) fitOnce(makeRidge, train, test, ours[name].ridge);
  }
  one = merge(one, runPeer(folder, names, 'one'));
  all = merge(all, runPeer(folder, names, 'default'));
}
if (!values.keep) rmSync(folder, { recursive: true, force: true });
else console.log(`tables kept in ${folder}`);

console.log(`regressor fit on ${rows.toLocaleString('en')} x ${cols} (held out: ${rows.toLocaleString('en')} rows), median of ${repeats} fits${one ? `; scikit-learn ${one.sklearn}` : ''}`);
for (const name of names) {
  const peers = (kind: 'gbt' | 'ridge') =>
    [one, all].flatMap((peer) => {
      const result = peer?.results[name][kind];
      return peer && result ? [[`scikit-learn, ${peer.threads} thread${peer.threads > 1 ? 's' : ''}`, median(result.seconds), 's'] as [string, number, string]] : [];
    });
  const gbt = ours[name].gbt;
  printComparison(`${name}: HistGradientBoostingRegressor fit time`, { name: 'epochgraph', value: median(gbt.seconds), unit: 's' }, peers('gbt'), 'lower');
  const peerGbt = one?.results[name].gbt;
  console.log(`  held-out R^2: epochgraph ${gbt.r2.toFixed(4)}` + (peerGbt ? `, scikit-learn ${peerGbt.r2.toFixed(4)} (difference ${signed(gbt.r2 - peerGbt.r2)})` : ''));
  if (peerGbt) {
    // Each repeat's two fits ran back to back, under the same load: the median of the
    // per-repeat ratios is steadier than the ratio of medians.
    const ratio = median(gbt.seconds.map((s, r) => s / peerGbt.seconds[r]));
    const r2Met = gbt.r2 >= peerGbt.r2 - 0.01;
    console.log(`  fit time / scikit-learn's on 1 thread, median of per-repeat ratios: ${ratio.toFixed(2)}`);
    console.log(`  targets: R^2 within 0.01 of scikit-learn: ${r2Met ? 'met' : 'MISSED'}; fit time <= 2x scikit-learn on 1 thread: ${ratio <= 2 ? 'met' : 'MISSED'}`);
  }
  const ridge = ours[name].ridge;
  if (!ridge) {
    console.log(`\n${name}: ridge skipped (missing values; ridge needs imputed features)`);
    continue;
  }
  printComparison(`${name}: ridge with leave-one-out alpha (RidgeCV) fit time`, { name: 'epochgraph', value: median(ridge.seconds), unit: 's' }, peers('ridge'), 'lower');
  const peerRidge = one?.results[name].ridge;
  const alpha = (ridge.model as RidgeRegressor).alpha;
  console.log(
    `  held-out R^2: epochgraph ${ridge.r2.toFixed(4)} (alpha ${alpha.toPrecision(3)})` +
      (peerRidge ? `, scikit-learn ${peerRidge.r2.toFixed(4)} (alpha ${peerRidge.alpha.toPrecision(3)}; difference ${signed(ridge.r2 - peerRidge.r2)})` : ''),
  );
}
