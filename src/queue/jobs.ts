/**
 * The jobs of the zoo queue: one BullMQ queue, `epochgraph`, whose jobs train one run of a
 * zoo (`train`) or extract the features of one run over one window (`features`).
 *
 * Job ids are derived from what the job produces (the run's zoo, id and configuration
 * including its seed; the run directory, window, layout and blocks of features), so
 * enqueuing the same work twice adds nothing. Paths in jobs are absolute: every machine
 * must see the zoo at the same path (docs/scale-out.md).
 */
import { createHash } from 'node:crypto';
import type { FeatureBlock } from '../summary/features.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import type { TrainRequest } from '../zoo/train-job.js';

/** The BullMQ queue every command and worker shares. */
export const QUEUE_NAME = 'epochgraph';

/** Retry policy of every job. */
export const JOB_DEFAULTS = Object.freeze({
  /** Attempts before a job is marked failed (a killed worker's attempt counts). */
  attempts: 3,
  /** Exponential back-off: the n-th retry waits backoffMs * 2^(n-1). */
  backoffMs: 5000,
  /** Seconds a job may go without its worker's heartbeat before another worker takes it over. */
  lockSeconds: 30,
});

/** A `train` job: run `request.id` of the zoo at `zoo`. */
export interface TrainJobData extends TrainRequest {
  readonly zoo: string;
}

/** A `features` job: the feature blocks of one run over one window, cached in the run directory. */
export interface FeaturesJobData {
  readonly run: string;
  readonly window: readonly number[];
  readonly layout: FeatureLayout;
  readonly blocks: readonly FeatureBlock[];
}

/** Job names, one per kind of work. */
export type JobName = 'train' | 'features';

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** The job id of a training job (no colons: BullMQ reserves them). */
export function trainJobId(data: Pick<TrainJobData, 'zoo' | 'id' | 'config'>): string {
  return `train-${digest([data.zoo, data.id, data.config])}`;
}

/** The job id of a features job. */
export function featuresJobId(data: FeaturesJobData): string {
  return `features-${digest([data.run, data.window, data.layout, [...data.blocks].sort()])}`;
}
