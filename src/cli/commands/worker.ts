/**
 * `epochgraph worker --queue URL`: takes zoo jobs (training runs, feature extractions) from
 * the queue until stopped; run one on every machine that shares the zoo's filesystem.
 */
import type { Command } from 'commander';
import { basename, dirname } from 'node:path';
import { JOB_DEFAULTS } from '../../queue/jobs.js';
import type { QueueWorkerEvent } from '../../queue/worker.js';
import { formatNumber } from '../../util/format.js';
import { UsageError, parsePositiveInt } from '../options.js';
import { formatDuration } from '../progress.js';

/** A job's target as people read it: `zoo/run-0003`. */
function shortName(path: string): string {
  return `${basename(dirname(path))}/${basename(path)}`;
}

function describe(event: QueueWorkerEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return `${shortName(event.job)}: ${event.kind}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
    case 'done':
      return `${shortName(event.job)}: ${event.kind} done in ${formatDuration(event.seconds)}${event.finalTestAcc === undefined ? '' : `, test_acc ${formatNumber(event.finalTestAcc)}`}${event.resumedFromEpoch === undefined ? '' : ` (resumed after epoch ${event.resumedFromEpoch})`}`;
    case 'failed':
      return `${shortName(event.job)}: ${event.kind} failed${event.willRetry ? ' (will retry)' : ''}: ${event.message}`;
    case 'stalled':
      return `job ${event.jobId} stalled (its worker stopped answering): handed to the next free worker`;
    case 'progress':
      return undefined;
  }
}

/** Registers the command on `program`. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('do zoo jobs from a Redis queue (training runs, feature extraction) until stopped')
    .requiredOption('--queue <url>', 'the queue: redis://HOST:PORT')
    .option('--concurrency <n>', 'jobs at once, each in its own process (one per core is the most that helps)', '1')
    .option('--lock-seconds <s>', 'seconds without a heartbeat after which a job of a dead worker goes to another one', String(JOB_DEFAULTS.lockSeconds))
    .option('--json', 'print events as JSON lines on stdout')
    .option('--quiet', 'print only failures')
    .addHelpText(
      'after',
      `
Stop with Ctrl-C or SIGTERM: running jobs finish first (a second signal abandons them; the
queue hands them to another worker). See docs/scale-out.md.
Example: epochgraph worker --queue redis://queue-host:6379 --concurrency 2`,
    )
    .action(async (options: { queue: string; concurrency: string; lockSeconds: string; json?: boolean; quiet?: boolean }) => {
      // Loaded here, not with the command tree: the queue's client is heavy to load.
      const { checkQueueReachable, parseQueueUrl } = await import('../../queue/connection.js');
      const { startQueueWorker } = await import('../../queue/worker.js');
      const connection = parseQueueUrl(options.queue);
      const concurrency = parsePositiveInt('--concurrency', options.concurrency);
      const lockSeconds = Number(options.lockSeconds);
      if (!(lockSeconds >= 1)) throw new UsageError(`--lock-seconds: expected a number of seconds >= 1, got ${JSON.stringify(options.lockSeconds)}`);
      await checkQueueReachable(connection);
      const onEvent = (event: QueueWorkerEvent) => {
        if (options.json) {
          if (event.type !== 'progress') process.stdout.write(`${JSON.stringify(event)}\n`);
          return;
        }
        if (options.quiet && event.type !== 'failed') return;
        const line = describe(event);
        if (line) process.stderr.write(`${line}\n`);
      };
      const worker = await startQueueWorker(connection, { concurrency, lockSeconds, onEvent });
      if (!options.json && !options.quiet) process.stderr.write(`worker on ${options.queue}: ${concurrency} job(s) at once; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (!options.json && !options.quiet) process.stderr.write('stopping: waiting for running jobs\n');
      await worker.close();
    });
}
