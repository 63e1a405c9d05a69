/**
 * The status of a zoo: how many of its planned runs (`zoo.json`) are done on disk (known
 * from the zoo index when it is fresh, else from each run.json), and of
 * the rest, how many are queued, running or failed in the queue (when one is given), or
 * started on disk without finishing (a run directory without run.json) otherwise.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { EpochgraphError } from '../errors.js';
import { CHECKPOINT_DIR } from '../checkpoint/run.js';
import { ZOO_FILE, isComplete, readZooPlan } from '../zoo/runner.js';
import { openFreshZooIndex } from '../zoo-index/zoo-index.js';
import { trainJobId } from './jobs.js';
import type { ZooQueue } from './producer.js';

/** Counts of a zoo's runs by state, and the failed runs with their errors. */
export interface ZooStatus {
  readonly zoo: string;
  readonly total: number;
  readonly done: number;
  readonly queued: number;
  readonly running: number;
  readonly failed: number;
  /** Neither done nor in the queue: with a queue, never enqueued; without one, not started. */
  readonly missing: number;
  /** Without a queue: run directories with checkpoints but no run.json (running, or interrupted). */
  readonly partial: number;
  readonly failures: readonly { id: string; message: string }[];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Counts the runs of the zoo at `zooDir` by state, asking `queue` about the unfinished ones.
 * Returns the counts; throws `EpochgraphError` if `zooDir` has no zoo.json.
 */
export async function zooStatus(zooDir: string, queue?: ZooQueue): Promise<ZooStatus> {
  const zoo = resolve(zooDir);
  const plan = await readZooPlan(zoo);
  if (!plan) throw new EpochgraphError(`${join(zooDir, ZOO_FILE)}: missing or unreadable; is ${zooDir} a zoo made by \`epochgraph zoo\`?`);
  const unfinished = [];
  const index = await openFreshZooIndex(zoo);
  if (index) {
    // A fresh index knows every run.json on disk: no need to read them.
    const configs = await index.configs().finally(() => index.close());
    for (const run of plan) if (!isDeepStrictEqual(configs.get(run.id), run.config)) unfinished.push(run);
  } else {
    for (const run of plan) if (!(await isComplete(zoo, run))) unfinished.push(run);
  }
  const counts = { queued: 0, running: 0, failed: 0, missing: 0, partial: 0 };
  const failures: { id: string; message: string }[] = [];
  if (queue) {
    const ids = unfinished.map((run) => trainJobId({ zoo, id: run.id, config: run.config }));
    const statuses = await queue.jobStatuses(ids);
    for (const [i, status] of statuses.entries()) {
      if (status === 'failed') failures.push({ id: unfinished[i].id, message: (await queue.failedReason(ids[i])) ?? 'unknown error' });
      // A job done in the queue whose run.json is not (or no longer) on disk is not done.
      counts[status === 'absent' || status === 'done' ? 'missing' : status]++;
    }
  } else {
    for (const run of unfinished) counts[(await exists(join(zoo, run.id, CHECKPOINT_DIR))) ? 'partial' : 'missing']++;
  }
  return { zoo: zooDir, total: plan.length, done: plan.length - unfinished.length, ...counts, failures };
}
