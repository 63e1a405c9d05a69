/**
 * `epochgraph features ZOO... --epochs 0-3 --out FILE.csv|FILE.parquet`: the feature table of one
 * or more zoos.
 */
import type { Command } from 'commander';
import { listZoos } from '../../checkpoint/run.js';
import { FEATURE_BLOCKS } from '../../summary/features.js';
import type { FeatureBlock } from '../../summary/features.js';
import { LAYOUTS } from '../../summary/snapshot.js';
import type { FeatureLayout } from '../../summary/snapshot.js';
import { buildFeatureTable, writeFeatureTable } from '../../summary/table.js';
import { parseEpochWindow } from '../../util/epochs.js';
import { UsageError, parseChoice } from '../options.js';
import { LiveBlock, bar } from '../progress.js';

/** Parses `--blocks graph,curve` into feature blocks. */
export function parseBlocks(text: string): FeatureBlock[] {
  const blocks = text.split(',').map((b) => b.trim());
  for (const b of blocks) {
    if (!(FEATURE_BLOCKS as readonly string[]).includes(b)) throw new UsageError(`--blocks: unknown block ${JSON.stringify(b)}; choose from ${FEATURE_BLOCKS.join(', ')}`);
  }
  return blocks as FeatureBlock[];
}

/** Registers the command on `program`. */
export function registerFeatures(program: Command): void {
  program
    .command('features')
    .argument('<zoos...>', 'zoo directories (one run per subdirectory); several make one table')
    .description('extract the feature table of a zoo: graph summaries and every baseline, one row per run')
    .requiredOption('--epochs <window>', 'epoch window, e.g. 0-3')
    .requiredOption('--out <file>', 'output table: .csv or .parquet')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')}`, 'per-layer')
    .option('--blocks <list>', `feature blocks to extract (${FEATURE_BLOCKS.join(',')})`, FEATURE_BLOCKS.join(','))
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Columns: run, id, group (config without seed), diverged, final_test_acc, then block:feature.
Example: epochgraph features zoo --epochs 0-3 --out features.parquet`,
    )
    .action(async (zoos: string[], options: { epochs: string; out: string; layout: string; blocks: string; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const blocks = parseBlocks(options.blocks);
      const runs = await listZoos(zoos);
      const live = new LiveBlock();
      const table = await buildFeatureTable(runs, { window, layout, blocks }, (done, total) => {
        if (!options.quiet) live.update([`features ${bar(done / total)} ${done}/${total} runs`]);
      });
      live.clear();
      await writeFeatureTable(options.out, table);
      if (!options.quiet) console.log(`${options.out}: ${table.runs.length} runs x ${table.columns.length} features (window ${options.epochs}, ${layout})`);
    });
}
