/**
 * Benchmark: the zoo index (src/zoo-index) on a synthetic zoo of run.json files (no
 * checkpoints; test/zoo-index/synthetic-zoo.ts): building the index, updating it after 100
 * new runs, and a filtered query with a join, against the same answers computed by scanning
 * the run.json files (read and parsed 256 at a time, as the index reads them).
 *
 * The query: per architecture, the count and mean test accuracy at epoch 5 of the runs with
 * batch norm and a learning rate in [0.01, 0.1] (runs JOIN history, filtered, grouped). Its
 * figure is timed three ways: the SQL on an open index; opening the index read-only, checking
 * it is fresh (one stat per run) and querying, as `zoo --status` does; and the whole
 * `epochgraph query` process. Figures are medians over the repeats.
 *
 * Usage: npm run bench:index [-- --runs 30000 --repeats 5 --keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INDEX_FILE, ZooIndex, openFreshZooIndex } from '../src/zoo-index/zoo-index.js';
import { writeSyntheticZoo } from '../test/zoo-index/synthetic-zoo.js';
import { median, printComparison } from './report.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30000' },
    repeats: { type: 'string', default: '5' },
    keep: { type: 'string' },
  },
});
const runCount = Number(values.runs);
const repeats = Number(values.repeats);
const zoo = values.keep ?? mkdtempSync(join(tmpdir(), 'epochgraph-bench-index-'));

const SQL = `SELECT r.arch, count(*) AS runs, avg(h.test_acc) AS mean_test_acc
FROM runs r JOIN history h USING (run)
WHERE r.batch_norm AND r.lr BETWEEN 0.01 AND 0.1 AND h.epoch = 5
GROUP BY r.arch ORDER BY r.arch`;

interface RunJson {
  config: { arch: string; lr: number; batch_norm: boolean };
  history: { epoch: number; test_acc: number | null }[];
}

/** The query's answer from the run.json files: [arch, runs, mean test accuracy] rows. */
async function scan(): Promise<[string, number, number][]> {
  const names = readdirSync(zoo, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const groups = new Map<string, { runs: number; sum: number }>();
  for (let i = 0; i < names.length; i += 256) {
    const texts = await Promise.all(names.slice(i, i + 256).map((name) => readFile(join(zoo, name, 'run.json'), 'utf8')));
    for (const text of texts) {
      const run = JSON.parse(text) as RunJson;
      if (!run.config.batch_norm || run.config.lr < 0.01 || run.config.lr > 0.1) continue;
      const entry = run.history.find((h) => h.epoch === 5);
      if (!entry) continue;
      const group = groups.get(run.config.arch) ?? { runs: 0, sum: 0 };
      group.runs++;
      group.sum += entry.test_acc ?? 0;
      groups.set(run.config.arch, group);
    }
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([arch, g]) => [arch, g.runs, g.sum / g.runs]);
}

const seconds = async (action: () => Promise<unknown>) => {
  const start = performance.now();
  await action();
  return (performance.now() - start) / 1000;
};

function sameAnswer(a: unknown[][], b: unknown[][]): boolean {
  return a.length === b.length && a.every((row, i) => row[0] === b[i][0] && Number(row[1]) === Number(b[i][1]) && Math.abs(Number(row[2]) - Number(b[i][2])) < 1e-12);
}

console.log(`zoo index benchmark: ${runCount} synthetic runs (16 history entries each) in ${zoo}, ${repeats} repeats`);
if (readdirSync(zoo).length === 0) writeSyntheticZoo(zoo, runCount);

const buildTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  rmSync(join(zoo, INDEX_FILE), { force: true });
  rmSync(join(zoo, `${INDEX_FILE}.wal`), { force: true });
  buildTimes.push(
    await seconds(async () => {
      const index = await ZooIndex.open(zoo);
      await index.update();
      index.close();
    }),
  );
}

const updateTimes: number[] = [];
const freshnessTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  writeSyntheticZoo(zoo, 100, { first: runCount + 100 * r, seed: r + 1 });
  const index = await ZooIndex.open(zoo);
  updateTimes.push(await seconds(() => index.update()));
  freshnessTimes.push(await seconds(() => index.freshness()));
  index.close();
}

const scanTimes: number[] = [];
let scanned: [string, number, number][] = [];
for (let r = 0; r < repeats; r++) scanTimes.push(await seconds(async () => (scanned = await scan())));

const index = await ZooIndex.open(zoo, { readOnly: true });
const sqlTimes: number[] = [];
let answer: unknown[][] = [];
await index.query(SQL);
for (let r = 0; r < repeats * 4; r++) sqlTimes.push(await seconds(async () => (answer = (await index.query(SQL)).rows)));
index.close();
if (!sameAnswer(answer, scanned)) throw new Error(`bench:index: the index and the scan disagree:\n${JSON.stringify(answer)}\n${JSON.stringify(scanned)}`);

const freshQueryTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  freshQueryTimes.push(
    await seconds(async () => {
      const fresh = await openFreshZooIndex(zoo);
      if (!fresh) throw new Error('bench:index: the index should be fresh');
      await fresh.query(SQL);
      fresh.close();
    }),
  );
}

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const cliTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  const start = performance.now();
  const result = spawnSync(process.execPath, [cli, 'query', zoo, SQL, '--json'], { encoding: 'utf8' });
  cliTimes.push((performance.now() - start) / 1000);
  if (result.status !== 0) throw new Error(`bench:index: epochgraph query failed: ${result.stderr}`);
}

const total = runCount + 100 * repeats;
console.log(`\nanswer (${answer.length} groups): ${JSON.stringify(answer)}`);
console.log(`index build, ${runCount} runs: median ${median(buildTimes).toFixed(2)} s (${(runCount / median(buildTimes)).toFixed(0)} runs/s)`);
console.log(`incremental update after 100 new runs (zoo of ~${total}): median ${(median(updateTimes) * 1000).toFixed(0)} ms`);
console.log(`freshness check (one stat per run, ~${total} runs): median ${(median(freshnessTimes) * 1000).toFixed(0)} ms`);
const scanMs = median(scanTimes) * 1000;
printComparison('filtered query with a join (runs JOIN history), median', { name: 'epochgraph index: SQL on the open index', value: median(sqlTimes) * 1000, unit: 'ms' }, [['scan of the run.json files', scanMs, 'ms']], 'lower');
printComparison('the same, opening the index and checking it is fresh first', { name: 'epochgraph index: open + freshness + SQL', value: median(freshQueryTimes) * 1000, unit: 'ms' }, [['scan of the run.json files', scanMs, 'ms']], 'lower');
printComparison('the same as a whole process (`epochgraph query ZOO SQL --json`)', { name: 'epochgraph query (process)', value: median(cliTimes) * 1000, unit: 'ms' }, [['scan of the run.json files', scanMs, 'ms']], 'lower');
if (!values.keep) rmSync(zoo, { recursive: true, force: true });
