/**
 * `npm run fuzz -- --cases N [--reader NAME]... [--seed S] [--json]`: a fuzz campaign of N
 * cases per reader (default 100,000), for long runs outside `npm test`. Prints one table
 * row per reader (the table of docs/RELIABILITY.md); a broken invariant's shrunk input is
 * saved for a regression test and the exit code is 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCampaign } from './harness.js';
import { FUZZED_READERS } from './readers.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    reader: { type: 'string', multiple: true },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isSafeInteger(cases) || cases < 1 || !Number.isSafeInteger(seed)) {
  console.error('fuzz: --cases must be a positive integer and --seed an integer');
  process.exit(2);
}
const unknown = (values.reader ?? []).filter((name) => !FUZZED_READERS.some((r) => r.name === name));
if (unknown.length > 0) {
  console.error(`fuzz: unknown reader ${unknown.join(', ')}; known: ${FUZZED_READERS.map((r) => r.name).join(', ')}`);
  process.exit(2);
}
const readers = values.reader ? FUZZED_READERS.filter((r) => values.reader?.includes(r.name)) : FUZZED_READERS;

let failed = 0;
if (!values.json) {
  console.log(`fuzz: ${cases.toLocaleString('en-US')} cases per reader, seed ${seed}`);
  console.log('| reader | cases | accepted | refused (EpochgraphError) | failing | slowest case (ms) | largest allocation (bytes) | seconds |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
}
for (const reader of readers) {
  const result = await runCampaign(reader, cases, seed);
  let saved: string | undefined;
  if (result.failure) {
    failed++;
    saved = join(mkdtempSync(join(tmpdir(), 'epochgraph-fuzz-failure-')), `${reader.name}-${reader.fileName}`);
    writeFileSync(saved, result.failure.input);
  }
  const { failure: _failure, ...tallies } = result;
  if (values.json) console.log(JSON.stringify({ ...tallies, failure: result.failure ? { message: result.failure.message, saved } : null }));
  else {
    console.log(
      `| ${reader.name} | ${result.cases.toLocaleString('en-US')} | ${result.accepted.toLocaleString('en-US')} | ${result.refused.toLocaleString('en-US')} | ${result.failure ? 1 : 0} | ` +
        `${result.slowestMs.toFixed(1)} | ${result.largestAllocation.toLocaleString('en-US')} | ${result.seconds.toFixed(0)} |`,
    );
    if (result.failure) console.log(`  FAILED: ${result.failure.message}\n  shrunk input saved to ${saved} (replay: seed ${seed}, path ${result.failure.path})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
