/**
 * `epochgraph index ZOO...`: builds or incrementally updates each zoo's DuckDB index
 * (src/zoo-index/zoo-index.ts).
 */
import type { Command } from 'commander';
import type { IndexUpdate } from '../../zoo-index/zoo-index.js';
import { printJson } from '../output.js';
import { LiveBlock, bar, formatDuration } from '../progress.js';

/** Registers the command on `program`. */
export function registerIndex(program: Command): void {
  program
    .command('index')
    .argument('<zoos...>', 'zoo directories')
    .description('build or update the DuckDB index of each zoo (runs, configs, history, cached features) for `epochgraph query`')
    .option('--json', 'print what changed as JSON')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
The index is <zoo>/${'zoo-index.duckdb'}; updates re-read only runs whose run.json or features
folder changed, and drop runs gone from disk. Tables: runs, history, features (docs/scale-out.md).
Example: epochgraph index zoo && epochgraph query zoo "SELECT arch, avg(final_test_acc) FROM runs GROUP BY arch"`,
    )
    .action(async (zoos: string[], options: { json?: boolean; quiet?: boolean }) => {
      // Loaded here, not with the command tree: DuckDB is heavy to load.
      const { ZooIndex } = await import('../../zoo-index/zoo-index.js');
      const updates: (IndexUpdate & { seconds: number })[] = [];
      const live = new LiveBlock();
      for (const zoo of zoos) {
        const started = performance.now();
        const index = await ZooIndex.open(zoo);
        try {
          const update = await index.update((done, total) => {
            if (!options.quiet && !options.json) live.update([`${zoo}: indexing ${bar(done / total)} ${done}/${total} changed runs`]);
          });
          live.clear();
          const seconds = (performance.now() - started) / 1000;
          updates.push({ ...update, seconds });
          if (!options.json) {
            console.log(`${update.index}: ${update.runs} runs (${update.added} added, ${update.updated} updated, ${update.removed} removed), ${update.featureRows} feature rows read, in ${formatDuration(seconds)}`);
          }
        } finally {
          index.close();
        }
      }
      if (options.json) printJson(updates);
    });
}
