/**
 * The producing side of the zoo queue: enqueue the runs a zoo lacks, or the feature
 * extractions a set of runs lacks, and read the state of those jobs.
 */
import { Queue } from 'bullmq';
import type { Job, JobsOptions } from 'bullmq';
import { resolve } from 'node:path';
import type { FeatureBlock, RunFeatureOptions } from '../summary/features.js';
import type { Grid } from '../zoo/grid.js';
import { planZoo } from '../zoo/runner.js';
import { checkQueueReachable } from './connection.js';
import type { QueueConnection } from './connection.js';
import { missingBlocks } from '../zoo-index/feature-cache.js';
import { JOB_DEFAULTS, QUEUE_NAME, featuresJobId, trainJobId } from './jobs.js';
import type { FeaturesJobData, JobName, TrainJobData } from './jobs.js';

/** A job's state as the zoo commands count it. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'absent';

/** What an enqueue call did. */
export interface EnqueueSummary {
  readonly total: number;
  /** Already complete on disk: not enqueued. */
  readonly done: number;
  readonly added: number;
  /** Waiting or running already: left as they are. */
  readonly alreadyQueued: number;
  /** Failed before: put back in the queue with fresh attempts. */
  readonly retried: number;
  /** The jobs of the work not yet done (id, and the run directory it writes), to follow with `jobStatuses`. */
  readonly jobs: readonly { readonly jobId: string; readonly target: string }[];
}

/** Options of the enqueue calls. */
export interface EnqueueOptions {
  /** Attempts per job (default `JOB_DEFAULTS.attempts`). */
  readonly attempts?: number;
}

function jobOptions(jobId: string, options: EnqueueOptions): JobsOptions {
  return {
    jobId,
    attempts: options.attempts ?? JOB_DEFAULTS.attempts,
    backoff: { type: 'exponential', delay: JOB_DEFAULTS.backoffMs },
    // Kept an hour for `--status`; the result itself is on disk.
    removeOnComplete: { age: 3600 },
    removeOnFail: false,
  };
}

function statusOf(state: string): JobStatus {
  if (state === 'active') return 'running';
  if (state === 'completed') return 'done';
  if (state === 'failed') return 'failed';
  if (state === 'unknown') return 'absent';
  return 'queued';
}

/** A connection to the zoo queue for enqueuing and watching jobs. */
export class ZooQueue {
  private constructor(private readonly queue: Queue) {}

  /** Connects to the queue at `connection`. Returns it; throws `QueueError` if the server does not answer. */
  static async open(connection: QueueConnection): Promise<ZooQueue> {
    await checkQueueReachable(connection);
    const queue = new Queue(QUEUE_NAME, { connection });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    return new ZooQueue(queue);
  }

  /** Adds one job unless it is waiting or running already; a finished or failed one is replaced. */
  private async add(name: JobName, data: TrainJobData | FeaturesJobData, jobId: string, options: EnqueueOptions): Promise<'added' | 'queued' | 'retried'> {
    const existing: Job | undefined = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') {
        await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'retried';
      }
      if (state !== 'completed') return 'queued';
      await existing.remove();
    }
    await this.queue.add(name, data, jobOptions(jobId, options));
    return 'added';
  }

  private async addAll(jobs: { name: JobName; data: TrainJobData | FeaturesJobData; jobId: string }[], options: EnqueueOptions) {
    const counts = { added: 0, queued: 0, retried: 0 };
    for (const job of jobs) counts[await this.add(job.name, job.data, job.jobId, options)]++;
    return counts;
  }

  /**
   * Enqueues every run of `grid` that `zooDir` lacks (recording the plan as `runZoo` does).
   * Returns what it did; throws `EpochgraphError` if `zooDir` holds a different zoo.
   */
  async enqueueZoo(grid: Grid, zooDir: string, options: EnqueueOptions = {}): Promise<EnqueueSummary> {
    const zoo = resolve(zooDir);
    const { runs, pending } = await planZoo(grid, zoo);
    const jobs = pending.map((run) => {
      const data: TrainJobData = {
        zoo,
        id: run.id,
        out: resolve(zoo, run.id),
        config: run.config,
        keepCheckpoints: grid.keepCheckpoints.text,
        // A worker that dies mid-run leaves its state after each epoch for the next one.
        resume: true,
        ...(grid.dataDir ? { dataDir: resolve(grid.dataDir) } : {}),
      };
      return { name: 'train' as const, data, jobId: trainJobId(data) };
    });
    const counts = await this.addAll(jobs, options);
    return { total: runs.length, done: runs.length - pending.length, added: counts.added, alreadyQueued: counts.queued, retried: counts.retried, jobs: jobs.map((j) => ({ jobId: j.jobId, target: j.data.out })) };
  }

  /**
   * Enqueues the feature extraction of every run in `runDirs` whose cache lacks a requested
   * block. Returns what it did; throws `RunFormatError` for a run without a readable run.json.
   */
  async enqueueFeatures(runDirs: readonly string[], features: RunFeatureOptions, options: EnqueueOptions = {}): Promise<EnqueueSummary> {
    const jobs = [];
    for (const dir of runDirs) {
      if ((await missingBlocks(dir, features)).length === 0) continue;
      const data: FeaturesJobData = { run: resolve(dir), window: features.window, layout: features.layout, blocks: features.blocks as FeatureBlock[] };
      jobs.push({ name: 'features' as const, data, jobId: featuresJobId(data) });
    }
    const counts = await this.addAll(jobs, options);
    return { total: runDirs.length, done: runDirs.length - jobs.length, added: counts.added, alreadyQueued: counts.queued, retried: counts.retried, jobs: jobs.map((j) => ({ jobId: j.jobId, target: j.data.run })) };
  }

  /** The status of each job in `jobIds` (`absent` when the queue does not know it). */
  async jobStatuses(jobIds: readonly string[]): Promise<JobStatus[]> {
    // ioredis pipelines the commands of one tick: a batch costs about one round trip.
    const statuses: JobStatus[] = [];
    for (let i = 0; i < jobIds.length; i += 1000) {
      const states = await Promise.all(jobIds.slice(i, i + 1000).map((id) => this.queue.getJobState(id)));
      statuses.push(...states.map(statusOf));
    }
    return statuses;
  }

  /** The error a failed job ended with. */
  async failedReason(jobId: string): Promise<string | undefined> {
    return (await this.queue.getJob(jobId))?.failedReason;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
