/**
 * Turns the study's trained zoos into the data kept in the repository (results/study/),
 * from which `npm run results` recomputes docs/RESULTS.md's study tables without the
 * checkpoints. For each finished zoo under ZOOS (a directory per grid of examples/study/):
 * - every run's run.json, as `<zoo>/<run>/run.json` (a zoo without checkpoints);
 * - the snapshot table of epochs 0-4 in the study's layout (summary/snapshot-table.ts), which
 *   gives the feature table of every window the experiments use;
 * - `feature-timings.json`: the seconds `runFeatures` took on every tenth run, per window
 *   0-k, for the time-saved table (measured here, so machine-specific: not recomputed).
 * A zoo is finished when it has as many runs as its grid, each trained to the grid's epochs
 * or stopped by divergence; others are skipped with a message.
 *
 * Usage: npx tsx scripts/study-data.ts ZOOS [--only NAME,...] [--out results/study]
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUN_FILE, listZoo, readRun } from '../src/checkpoint/run.js';
import { expandGrid, readGrid } from '../src/zoo/grid.js';
import { FEATURE_BLOCKS, runFeatures, runSnapshots } from '../src/summary/features.js';
import { writeSnapshotTable } from '../src/summary/snapshot-table.js';
import type { SnapshotTableRun } from '../src/summary/snapshot-table.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { formatEpochs } from '../src/util/epochs.js';
import { SNAPSHOT_EPOCHS, STUDY_DATA, STUDY_LAYOUT, STUDY_ZOOS, WINDOWS, snapshotTableFile, timingsFile } from './study.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' }, out: { type: 'string', default: STUDY_DATA } } });
if (positionals.length !== 1) throw new Error('usage: npx tsx scripts/study-data.ts ZOOS [--only NAME,...] [--out results/study]');
const [zoosDir] = positionals;
const only = values.only?.split(',');
const log = (message: string) => process.stderr.write(`${message}\n`);

for (const zoo of STUDY_ZOOS.filter((z) => !only || only.includes(z.name))) {
  const source = join(zoosDir, zoo.name);
  const planned = expandGrid(await readGrid(join('examples', 'study', `${zoo.name}.yaml`))).length;
  const runDirs = await listZoo(source).catch(() => []);
  const runs = await Promise.all(runDirs.map((dir) => readRun(dir)));
  const finished = runs.filter((run) => run.diverged_at_epoch !== undefined || run.history.at(-1)?.epoch === run.config.epochs);
  if (finished.length < planned) {
    log(`${zoo.name}: ${finished.length} of ${planned} runs finished, skipped`);
    continue;
  }
  const out = join(values.out, zoo.name);
  for (const run of runs) {
    await mkdir(join(out, basename(run.path)), { recursive: true });
    await writeFileAtomic(join(out, basename(run.path), RUN_FILE), await readFile(join(run.path, RUN_FILE)));
  }
  const started = performance.now();
  const extracted: SnapshotTableRun[] = [];
  for (const run of runs) {
    extracted.push({ key: basename(run.path), snapshots: await runSnapshots(run, { layout: STUDY_LAYOUT, graphEpochs: SNAPSHOT_EPOCHS, updates: true, weightEpochs: SNAPSHOT_EPOCHS }) });
  }
  await writeSnapshotTable(snapshotTableFile(out), STUDY_LAYOUT, extracted);
  log(`${zoo.name}: snapshots of ${runs.length} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Every tenth run, timed as `epochgraph features` extracts one window: the cost a prediction at epoch k adds.
  const sampled = runs.filter((_, i) => i % 10 === 0);
  const windows: Record<string, number[]> = {};
  for (const window of WINDOWS) {
    windows[formatEpochs(window, '-')] = [];
    for (const run of sampled) {
      const started = performance.now();
      await runFeatures(run, { window, layout: STUDY_LAYOUT, blocks: [...FEATURE_BLOCKS] });
      windows[formatEpochs(window, '-')].push((performance.now() - started) / 1000);
    }
  }
  await writeFileAtomic(timingsFile(out), `${JSON.stringify({ layout: STUDY_LAYOUT, blocks: FEATURE_BLOCKS, runs: sampled.map((r) => basename(r.path)), seconds: windows }, null, 2)}\n`);
  log(`${zoo.name}: timings of ${sampled.length} runs written`);
}

