/**
 * Benchmark: importing a synthetic Small CNN Zoo dataset whose weights.npy is ~2 GB.
 *
 * Writes, under the system's temporary folder, a dataset folder in the zoo's layout (the
 * fixture's layout.csv: 4,970 float32 columns; a metrics.csv.gz row per weights row, nine
 * checkpoints per run) and prints, from the same run and the same page-cached file:
 * - `cat weights.npy > /dev/null` throughput (median of `--repeats` runs), the peer;
 * - `epochgraph import cnn-zoo` throughput (weights.npy bytes / wall time) and peak RSS of
 *   the importing process (`/usr/bin/time -f %M`), for three selections: keeping no
 *   checkpoint (the streaming read and parse alone), the default `0-3,last`, and `all`;
 * then deletes the dataset and the imported zoos (pass `--keep` to keep the dataset).
 *
 * Usage: npm run build && npm run bench:import [-- --size-mb 2000 --repeats 3]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { median, printComparison } from './report.js';

const { values } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '2000' }, repeats: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
});
const COLUMNS = 4970;
const EPOCHS = [0, 1, 2, 3, 20, 40, 60, 80, 86];
const rowBytes = COLUMNS * 4;
const rows = Math.ceil((Number(values['size-mb']) * 1e6) / rowBytes / EPOCHS.length) * EPOCHS.length;
const repeats = Number(values.repeats);
const root = resolve(import.meta.dirname, '..');
const dataset = join(tmpdir(), `epochgraph-bench-cnn-zoo-${rows}`);
const weights = join(dataset, 'weights.npy');

/** Writes the dataset: npy header, rows of pseudo-random floats, gzip metrics in the same order. */
async function ensureDataset(): Promise<void> {
  if (existsSync(join(dataset, 'metrics.csv.gz'))) return;
  mkdirSync(dataset, { recursive: true });
  copyFileSync(join(root, 'test', 'fixtures', 'import', 'cnn-zoo', 'layout.csv'), join(dataset, 'layout.csv'));
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${COLUMNS}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const handle = await open(weights, 'w');
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  await handle.write(prefix);
  await handle.write(header);
  const blockRows = 400;
  const block = new Float32Array(blockRows * COLUMNS);
  let state = 12345;
  for (let first = 0; first < rows; first += blockRows) {
    const count = Math.min(blockRows, rows - first);
    for (let i = 0; i < count * COLUMNS; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) | 0;
      block[i] = (state / 2 ** 31) * 0.2;
    }
    await handle.write(new Uint8Array(block.buffer, 0, count * rowBytes));
  }
  await handle.close();
  const gzip = createGzip();
  const done = new Promise<void>((resolveDone) => gzip.pipe(createWriteStream(join(dataset, 'metrics.csv.gz'))).on('finish', () => resolveDone()));
  gzip.write(',config.learning_rate,config.optimizer,modeldir,step,test_accuracy,test_loss,train_accuracy,train_loss\n');
  for (let r = 0; r < rows; r++) {
    const run = Math.floor(r / EPOCHS.length);
    const epoch = EPOCHS[r % EPOCHS.length];
    const acc = (0.1 + 0.8 * (1 - Math.exp(-epoch / 10))).toFixed(4);
    if (!gzip.write(`${r},0.01,sgd,/zoo/run_${run},${epoch * 157},${acc},1.5,${acc},1.4\n`)) await new Promise<void>((ok) => gzip.once('drain', () => ok()));
  }
  gzip.end();
  await done;
}

/** Wall seconds of `cat weights.npy > /dev/null`. */
function cat(): number {
  const start = performance.now();
  const result = spawnSync('sh', ['-c', `cat '${weights}' > /dev/null`]);
  if (result.status !== 0) throw new Error(`cat failed: ${result.stderr}`);
  return (performance.now() - start) / 1000;
}

/** Node arguments running the import through the CLI, or through the library alone in a bare process. */
function importCommand(mode: 'cli' | 'library', out: string, selection: string): string[] {
  if (mode === 'cli') return [join(root, 'dist', 'cli', 'main.js'), 'import', 'cnn-zoo', dataset, '--out', out, '--epochs', selection, '--json'];
  const script = `
    const { importCnnZoo } = await import(${JSON.stringify(join(root, 'dist', 'importers', 'cnn-zoo.js'))});
    const { parseCheckpointSelection } = await import(${JSON.stringify(join(root, 'dist', 'importers', 'selection.js'))});
    const summary = await importCnnZoo(${JSON.stringify(dataset)}, ${JSON.stringify(out)}, { selection: parseCheckpointSelection(${JSON.stringify(selection)}) });
    console.log(JSON.stringify(summary));`;
  return ['--input-type=module', '-e', script];
}

/** Wall seconds and peak RSS (MB) of one import with `--epochs selection`. */
function importOnce(mode: 'cli' | 'library', selection: string): { seconds: number; weightSeconds: number; rssMb: number; checkpoints: number } {
  const out = join(tmpdir(), `epochgraph-bench-cnn-zoo-out-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const start = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...importCommand(mode, out, selection)], { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  rmSync(out, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`import failed: ${result.stderr}`);
  const rssKb = Number(result.stderr.trim().split('\n').at(-1));
  const summary = JSON.parse(result.stdout) as { checkpoints: number; weightSeconds: number };
  return { seconds, weightSeconds: summary.weightSeconds, rssMb: rssKb / 1024, checkpoints: summary.checkpoints };
}

await ensureDataset();
const bytes = statSync(weights).size;
console.log(`dataset: ${dataset}: weights.npy ${(bytes / 1e9).toFixed(2)} GB, ${rows.toLocaleString('en-US')} rows, ${(rows / EPOCHS.length).toLocaleString('en-US')} runs`);
cat(); // bring the file into the page cache for both sides
const catSeconds: number[] = [];
for (let i = 0; i < repeats; i++) catSeconds.push(cat());
const catMbps = bytes / 1e6 / median(catSeconds);
const idle = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'dist', 'cli', 'main.js'), '--version'], { encoding: 'utf8' });
console.log(`peak RSS of an idle CLI process (epochgraph --version): ${(Number(idle.stderr.trim().split('\n').at(-1)) / 1024).toFixed(0)} MB`);
// A selection that keeps no checkpoint (epoch 99 does not exist in the zoo): the streaming read and the run.json files.
for (const [label, selection] of [['no checkpoint kept', '99'], ['--epochs 0-3,last (default)', '0-3,last'], ['--epochs all', 'all']]) {
  for (const mode of ['cli', 'library'] as const) {
    const runs = Array.from({ length: selection === 'all' ? 1 : repeats }, () => importOnce(mode, selection));
    const seconds = median(runs.map((r) => r.seconds));
    const rss = Math.max(...runs.map((r) => r.rssMb));
    printComparison(
      `import cnn-zoo (${mode === 'cli' ? 'CLI process' : 'library call in a bare node process'}), ${label}: ${runs[0].checkpoints.toLocaleString('en-US')} checkpoints written; peak RSS ${rss.toFixed(0)} MB (target < 300 MB)`,
      { name: 'epochgraph import cnn-zoo', value: bytes / 1e6 / seconds, unit: 'MB/s' },
      [['cat weights.npy > /dev/null', catMbps, 'MB/s']],
      'higher',
    );
    const weightSeconds = median(runs.map((r) => r.weightSeconds));
    console.log(`  target: at least 0.5x cat; measured ${(bytes / 1e6 / seconds / catMbps).toFixed(3)}x (median of ${runs.length} run(s), ${seconds.toFixed(1)} s)`);
    console.log(
      `  of which streaming weights.npy (read, convert, write checkpoints): ${weightSeconds.toFixed(1)} s = ${(bytes / 1e6 / weightSeconds).toFixed(0)} MB/s, ` +
        `${(bytes / 1e6 / weightSeconds / catMbps).toFixed(3)}x cat; the rest is run folders, run.json files and process start`,
    );
  }
}
if (!values.keep) rmSync(dataset, { recursive: true, force: true });
