/**
 * `epochgraph features ZOO... --epochs 0-3 --out FILE.csv|FILE.parquet`: the feature table of one
 * or more zoos.
 */
import type { Command } from 'commander';
import { listZoos } from '../../checkpoint/run.js';
import { EpochgraphError } from '../../errors.js';
import type { QueueConnection } from '../../queue/connection.js';
import { FEATURE_BLOCKS } from '../../summary/features.js';
import type { FeatureBlock, RunFeatureOptions } from '../../summary/features.js';
import { LAYOUTS } from '../../summary/snapshot.js';
import type { FeatureLayout } from '../../summary/snapshot.js';
import { buildFeatureTable, writeFeatureTable } from '../../summary/table.js';
import { parseEpochWindow } from '../../util/epochs.js';
import { cachedRunFeatures } from '../../zoo-index/feature-cache.js';
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
    .option('--queue <url>', 'extract on `epochgraph worker`s of this Redis queue (redis://HOST:PORT), one job per run, cached per run and window')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Columns: run, id, group (config without seed), diverged, final_test_acc, then block:feature.
With --queue, each run's features are cached in <run>/features/ (and kept while its run.json is
unchanged): a re-run extracts only what is missing, and \`epochgraph index\` loads them.
Examples:
  epochgraph features zoo --epochs 0-3 --out features.parquet
  epochgraph features /shared/zoo --epochs 0-3 --out features.parquet --queue redis://queue-host:6379`,
    )
    .action(async (zoos: string[], options: { epochs: string; out: string; layout: string; blocks: string; queue?: string; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const blocks = parseBlocks(options.blocks);
      // The queue's client loads only when used.
      const connection = options.queue === undefined ? undefined : (await import('../../queue/connection.js')).parseQueueUrl(options.queue);
      const runs = await listZoos(zoos);
      const live = new LiveBlock();
      if (connection) await extractOnQueue(connection, runs, { window, layout, blocks }, live, options.quiet);
      const table = await buildFeatureTable(
        runs,
        { window, layout, blocks },
        (done, total) => {
          if (!options.quiet) live.update([`features ${bar(done / total)} ${done}/${total} runs`]);
        },
        connection ? (run, features) => cachedRunFeatures(run.path, features) : undefined,
      );
      live.clear();
      await writeFeatureTable(options.out, table);
      if (!options.quiet) console.log(`${options.out}: ${table.runs.length} runs x ${table.columns.length} features (window ${options.epochs}, ${layout})`);
    });
}

/**
 * Enqueues the runs whose feature cache lacks something and waits for the workers, with a
 * progress bar. Throws `EpochgraphError` with the first failure once every job has ended.
 */
async function extractOnQueue(connection: QueueConnection, runs: readonly string[], features: RunFeatureOptions, live: LiveBlock, quiet?: boolean): Promise<void> {
  const { ZooQueue } = await import('../../queue/producer.js');
  const queue = await ZooQueue.open(connection);
  try {
    const summary = await queue.enqueueFeatures(runs, features);
    if (!quiet) live.log(`features: ${summary.total} runs, ${summary.done} cached, ${summary.jobs.length} on the queue`);
    for (;;) {
      const statuses = await queue.jobStatuses(summary.jobs.map((j) => j.jobId));
      const pending = statuses.filter((s) => s === 'queued' || s === 'running').length;
      const finished = summary.total - pending;
      if (!quiet) live.update([`features on the queue ${bar(finished / summary.total)} ${finished}/${summary.total} runs, ${statuses.filter((s) => s === 'running').length} running`]);
      if (pending === 0) {
        const failed = statuses.findIndex((s) => s === 'failed');
        if (failed >= 0) throw new EpochgraphError(`${summary.jobs[failed].target}: feature extraction failed on the queue: ${await queue.failedReason(summary.jobs[failed].jobId)}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await queue.close();
  }
}
