/**
 * A queue worker: takes jobs of the `epochgraph` queue (./jobs.ts) and does them in child
 * processes, `concurrency` at a time, writing runs and feature caches into the zoos named
 * by the jobs.
 *
 * Fault tolerance is BullMQ's: a job holds a lock its worker renews; when a worker dies
 * (even by SIGKILL) the lock expires after `lockSeconds`, the stalled-job check moves the
 * job back to the wait list and another worker takes it, continuing the run after its last
 * complete epoch (training jobs save their state after every epoch; the result is the same
 * as an uninterrupted run's). A job that throws is retried
 * with exponential back-off up to its attempt count, then stays failed with its error.
 * Bad input (a malformed run, a missing dataset) fails at once: retrying cannot help.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { TrainProgress } from '../train/train.js';
import type { QueueConnection } from './connection.js';
import { JOB_DEFAULTS, QUEUE_NAME } from './jobs.js';
import type { FeaturesJobData, JobName, TrainJobData } from './jobs.js';
import { ChildPool } from './pool.js';

/** Options of `startQueueWorker`. */
export interface QueueWorkerOptions {
  /** Jobs at once, each in its own child process (default 1). */
  readonly concurrency?: number;
  /** Seconds without a heartbeat before a job counts as stalled (default `JOB_DEFAULTS.lockSeconds`). */
  readonly lockSeconds?: number;
  readonly onEvent?: (event: QueueWorkerEvent) => void;
}

/** What a worker reports, for logs and progress displays. `job` is the run directory of the job. */
export type QueueWorkerEvent =
  | { type: 'start'; kind: JobName; jobId: string; job: string; attempt: number }
  | { type: 'progress'; jobId: string; job: string; event: TrainProgress }
  | { type: 'done'; kind: JobName; jobId: string; job: string; seconds: number; finalTestAcc?: number | null; resumedFromEpoch?: number }
  | { type: 'failed'; kind: JobName; jobId: string; job: string; message: string; willRetry: boolean }
  | { type: 'stalled'; jobId: string };

/** A running worker. */
export interface QueueWorker {
  /** Stops taking jobs, waits for the running ones, and stops the child processes. */
  close(): Promise<void>;
}

function jobTarget(job: Job): string {
  return job.name === 'train' ? `${(job.data as TrainJobData).out}` : (job.data as FeaturesJobData).run;
}

/** Starts a worker on the queue at `connection`. Returns it running. */
export async function startQueueWorker(connection: QueueConnection, options: QueueWorkerOptions = {}): Promise<QueueWorker> {
  const emit = options.onEvent ?? (() => undefined);
  const pool = new ChildPool();
  const lockMs = Math.round((options.lockSeconds ?? JOB_DEFAULTS.lockSeconds) * 1000);
  const handle = async (job: Job): Promise<unknown> => {
    const started = performance.now();
    const kind = job.name as JobName;
    emit({ type: 'start', kind, jobId: job.id as string, job: jobTarget(job), attempt: Math.max(1, job.attemptsStarted) });
    const result = await pool.run(kind === 'train' ? { type: 'train', data: job.data as TrainJobData } : { type: 'features', data: job.data as FeaturesJobData }, (reply) => {
      emit({ type: 'progress', jobId: job.id as string, job: jobTarget(job), event: reply.event });
      if (reply.event.type === 'epoch') void job.updateProgress({ epoch: reply.event.epoch, epochs: reply.event.epochs });
    });
    const seconds = (performance.now() - started) / 1000;
    switch (result.type) {
      case 'done':
        emit({ type: 'done', kind, jobId: job.id as string, job: jobTarget(job), seconds, finalTestAcc: result.finalTestAcc, ...(result.resumedFromEpoch === undefined ? {} : { resumedFromEpoch: result.resumedFromEpoch }) });
        return { finalTestAcc: result.finalTestAcc, diverged: result.diverged };
      case 'features-done':
        emit({ type: 'done', kind, jobId: job.id as string, job: jobTarget(job), seconds });
        return { blocks: result.blocks };
      case 'failed':
      case 'features-failed':
        throw result.badInput ? new UnrecoverableError(result.message) : new Error(result.message);
    }
  };
  const worker = new Worker(QUEUE_NAME, handle, {
    connection,
    concurrency: options.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job whose worker dies is handed over at most this often before it counts as failed.
    maxStalledCount: JOB_DEFAULTS.attempts,
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const willRetry = !(error instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
    emit({ type: 'failed', kind: job.name as JobName, jobId: job.id as string, job: jobTarget(job), message: error.message, willRetry });
  });
  worker.on('stalled', (jobId) => emit({ type: 'stalled', jobId }));
  // Connection errors are retried by ioredis; report nothing per attempt.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      pool.close();
    },
  };
}
