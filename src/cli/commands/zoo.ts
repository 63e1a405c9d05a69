/**
 * `epochgraph zoo GRID.yaml --out ZOO [--queue URL]`: trains a grid of runs with worker
 * processes, resumably, or enqueues them for `epochgraph worker`s; `epochgraph zoo ZOO
 * --status` counts a zoo's runs by state.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import type { QueueConnection } from '../../queue/connection.js';
import type { ZooQueue } from '../../queue/producer.js';
import type { ZooStatus } from '../../queue/status.js';
import { DEFAULTS as GRID_DEFAULTS, readGrid } from '../../zoo/grid.js';
import { runZoo } from '../../zoo/runner.js';
import { EpochgraphError } from '../../errors.js';
import { UsageError, parsePositiveInt } from '../options.js';
import { printJson } from '../output.js';
import { LiveBlock, bar } from '../progress.js';
import { createZooProgress } from '../zoo-progress.js';

interface ZooOptions {
  out?: string;
  workers?: string;
  maxRuns?: string;
  queue?: string;
  attempts?: string;
  status?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Registers the command on `program`. */
export function registerZoo(program: Command): void {
  program
    .command('zoo')
    .argument('<grid-or-zoo>', 'grid file (YAML, see docs/zoo-grid.md); with --status, the zoo directory')
    .description('train a zoo of runs from a grid file, in parallel or through a queue; re-running finishes what is missing')
    .option('--out <dir>', 'zoo directory (one subdirectory per run); required unless --status')
    .option('--workers <n>', `worker processes (default: one per core, here ${cpus().length})`)
    .option('--max-runs <n>', `most runs the grid may expand to (default ${GRID_DEFAULTS.maxRuns.toLocaleString('en-US')})`)
    .option('--queue <url>', 'enqueue the missing runs on this Redis queue (redis://HOST:PORT) for `epochgraph worker`s instead of training here')
    .option('--attempts <n>', 'with --queue: attempts per run before it counts as failed', '3')
    .option('--status', 'count the zoo\'s runs: done, and queued / running / failed in --queue (live on a terminal until none is left)')
    .option('--json', 'print events (with --status: the counts) as JSON on stdout')
    .option('--quiet', 'print nothing but errors and the final summary')
    .addHelpText(
      'after',
      `
Runs already finished in --out are skipped; interrupted runs are retrained from the start (with
--queue, continued after their last complete epoch). With --queue, every machine must see --out at
the same path (docs/scale-out.md).
Example grid:
  config:
    arch: [mlp, lenet5]
    epochs: 15
    lr: {log_uniform: [0.001, 0.3]}
    dropout: [0, 0.3]
  samples: 5
  seeds: 2
  keep_checkpoints: 0-5,last
Examples:
  epochgraph zoo grid.yaml --out zoo
  epochgraph zoo grid.yaml --out /shared/zoo --queue redis://queue-host:6379
  epochgraph zoo /shared/zoo --status --queue redis://queue-host:6379`,
    )
    .action(async (target: string, options: ZooOptions) => {
      // The queue's client and the index's engine load only when used: most runs need neither.
      const connection = options.queue === undefined ? undefined : (await import('../../queue/connection.js')).parseQueueUrl(options.queue);
      if (options.status) return showStatus(target, connection, options);
      if (options.out === undefined) throw new UsageError('--out: required (the zoo directory to write), unless --status');
      const workers = options.workers === undefined ? undefined : parsePositiveInt('--workers', options.workers);
      const attempts = parsePositiveInt('--attempts', options.attempts ?? '3');
      const maxRuns = options.maxRuns === undefined ? undefined : parsePositiveInt('--max-runs', options.maxRuns);
      const grid = await readGrid(target, { maxRuns });
      if (connection) {
        const { ZooQueue } = await import('../../queue/producer.js');
        const queue = await ZooQueue.open(connection);
        try {
          const summary = await queue.enqueueZoo(grid, options.out, { attempts });
          if (options.json) printJson(summary);
          else {
            console.log(
              `${options.out}: ${summary.total} runs (${summary.added} enqueued now, ${summary.alreadyQueued} already queued, ${summary.retried} failed before and retried, ${summary.done} already done)`,
            );
            if (!options.quiet) process.stderr.write(`follow with: epochgraph zoo ${options.out} --status --queue ${options.queue}\n`);
          }
        } finally {
          await queue.close();
        }
        return;
      }
      const progress = createZooProgress({ label: target, json: options.json, quiet: options.quiet });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runZoo(grid, options.out, { workers, onEvent: progress.onEvent, signal: controller.signal });
        progress.finish();
        if (controller.signal.aborted) {
          process.stderr.write(`interrupted: ${progress.done()}/${summary.total} runs finished; run the same command again to continue\n`);
          process.exitCode = 130;
          return;
        }
        if (!options.json) {
          console.log(`${options.out}: ${summary.total} runs (${summary.trained} trained now, ${summary.skipped} already done, ${summary.failed.length} failed)`);
        }
        if (summary.failed.length > 0) {
          const badInput = summary.failed.every((f) => f.badInput);
          throw badInput ? new EpochgraphError(`${summary.failed.length} run(s) failed; first: ${summary.failed[0].id}: ${summary.failed[0].message}`) : new Error(`${summary.failed[0].id}: ${summary.failed[0].message}`);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function statusLine(status: ZooStatus, withQueue: boolean): string {
  const rest = withQueue
    ? `${status.queued} queued, ${status.running} running, ${status.failed} failed, ${status.missing} not queued`
    : `${status.partial} started (running or interrupted), ${status.missing} not started`;
  return `${status.zoo}: ${status.done}/${status.total} runs done ${bar(status.total ? status.done / status.total : 1)} ${rest}`;
}

/** Prints the zoo's status; with a queue, on a terminal, redraws it every second until nothing is queued or running. */
async function showStatus(zooDir: string, connection: QueueConnection | undefined, options: ZooOptions): Promise<void> {
  const { zooStatus } = await import('../../queue/status.js');
  const queue: ZooQueue | undefined = connection ? await (await import('../../queue/producer.js')).ZooQueue.open(connection) : undefined;
  try {
    let status = await zooStatus(zooDir, queue);
    const live = new LiveBlock();
    if (queue && !options.json && !options.quiet && live.enabled) {
      let stop = false;
      const onSignal = () => (stop = true);
      process.once('SIGINT', onSignal);
      try {
        while (!stop && status.queued + status.running > 0) {
          live.update([statusLine(status, queue !== undefined)], true);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          status = await zooStatus(zooDir, queue);
        }
      } finally {
        process.off('SIGINT', onSignal);
        live.clear();
      }
    }
    if (options.json) {
      printJson(status);
      return;
    }
    console.log(statusLine(status, queue !== undefined));
    for (const failure of status.failures) console.log(`  ${failure.id}: failed: ${failure.message}`);
  } finally {
    await queue?.close();
  }
}
