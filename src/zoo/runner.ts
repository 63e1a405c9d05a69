/**
 * The zoo runner: trains every run of an expanded grid with a pool of worker
 * processes, skipping runs that are already complete, so that re-running the same
 * command finishes what is missing. A run is complete when its run.json exists (the
 * trainer writes it last, atomically) and records the planned configuration.
 *
 * `<zoo>/zoo.json` records the plan; running a different grid into the same directory
 * is refused rather than mixing two zoos.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { RUN_FILE } from '../checkpoint/run.js';
import { OptionError } from '../errors.js';
import { recordsConfig } from '../train/config.js';
import type { TrainProgress } from '../train/train.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { workerEntry } from '../util/worker-entry.js';
import { expandGrid } from './grid.js';
import type { Grid, PlannedRun } from './grid.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export const ZOO_FILE = 'zoo.json';

/** Events for progress displays. */
export type ZooEvent =
  | { type: 'plan'; total: number; done: number; workers: number }
  | { type: 'start'; worker: number; id: string }
  | { type: 'progress'; worker: number; id: string; event: TrainProgress }
  | { type: 'done'; worker: number; id: string; finalTestAcc: number | null; diverged: boolean; seconds: number }
  | { type: 'failed'; worker: number; id: string; message: string };

/** Options of `runZoo`. */
export interface RunZooOptions {
  /** Worker processes (default: one per core). */
  workers?: number;
  onEvent?: (event: ZooEvent) => void;
  /** Aborts the run: workers are killed, unfinished runs stay unfinished. */
  signal?: AbortSignal;
}

/** What `runZoo` did. */
export interface ZooSummary {
  total: number;
  /** Runs already complete before this call. */
  skipped: number;
  trained: number;
  failed: { id: string; message: string; badInput: boolean }[];
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True if the run directory holds a finished run of exactly `planned.config`. */
export async function isComplete(zooDir: string, planned: PlannedRun): Promise<boolean> {
  const manifest = (await readJson(join(zooDir, planned.id, RUN_FILE))) as { config?: unknown } | undefined;
  return manifest !== undefined && recordsConfig(manifest.config, planned.config);
}

/** A zoo's plan and the runs it still lacks. */
export interface ZooPlan {
  readonly runs: readonly PlannedRun[];
  readonly pending: readonly PlannedRun[];
}

/**
 * Expands `grid`, records the plan in `<zooDir>/zoo.json`, and finds the runs `zooDir` does
 * not hold yet. Returns both; throws `OptionError` (field `outDir`) if `zooDir` holds a different zoo.
 */
export async function planZoo(grid: Grid, zooDir: string): Promise<ZooPlan> {
  const plan = expandGrid(grid);
  const planFile = join(zooDir, ZOO_FILE);
  const previous = (await readJson(planFile)) as { runs?: PlannedRun[] } | undefined;
  if (previous?.runs) {
    const differing = plan.find((run, i) => previous.runs?.[i]?.id !== run.id || !recordsConfig(previous.runs[i].config, run.config));
    if (differing || previous.runs.length !== plan.length) {
      throw new OptionError(
        'outDir',
        `${planFile}: this zoo was made from a different grid (${differing ? `${differing.id} differs` : `${previous.runs.length} runs, not ${plan.length}`}); write to a new directory`,
      );
    }
  }
  await writeFileAtomic(planFile, `${JSON.stringify({ grid: { ...grid, keepCheckpoints: grid.keepCheckpoints.text }, runs: plan }, null, 2)}\n`);
  const pending: PlannedRun[] = [];
  for (const run of plan) if (!(await isComplete(zooDir, run))) pending.push(run);
  return { runs: plan, pending };
}

/** The plan recorded in `<zooDir>/zoo.json`, or undefined when there is none. */
export async function readZooPlan(zooDir: string): Promise<PlannedRun[] | undefined> {
  return ((await readJson(join(zooDir, ZOO_FILE))) as { runs?: PlannedRun[] } | undefined)?.runs;
}

/**
 * Trains the runs of `grid` that `zooDir` does not already hold.
 * Returns a summary; throws `OptionError` (field `outDir`) if `zooDir` holds a different zoo.
 */
export async function runZoo(grid: Grid, zooDir: string, options: RunZooOptions = {}): Promise<ZooSummary> {
  const { runs: plan, pending } = await planZoo(grid, zooDir);
  const workerCount = Math.max(1, Math.min(options.workers ?? cpus().length, pending.length));
  const emit = options.onEvent ?? (() => undefined);
  emit({ type: 'plan', total: plan.length, done: plan.length - pending.length, workers: pending.length === 0 ? 0 : workerCount });
  const summary: ZooSummary = { total: plan.length, skipped: plan.length - pending.length, trained: 0, failed: [] };
  if (pending.length === 0) return summary;

  const entry = workerEntry(import.meta.url, 'worker');
  const children: ChildProcess[] = [];
  const abort = () => children.forEach((c) => c.kill());
  options.signal?.addEventListener('abort', abort);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: workerCount }, (_, worker) => {
        const child = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          let current: PlannedRun | undefined;
          const dispatch = () => {
            if (options.signal?.aborted || next >= pending.length) {
              current = undefined;
              child.send({ type: 'stop' } satisfies WorkerRequest);
              return;
            }
            current = pending[next++];
            emit({ type: 'start', worker, id: current.id });
            child.send({
              type: 'run',
              id: current.id,
              out: join(zooDir, current.id),
              config: current.config,
              keepCheckpoints: grid.keepCheckpoints.text,
              ...(grid.dataDir ? { dataDir: grid.dataDir } : {}),
            } satisfies WorkerRequest);
          };
          child.on('message', (reply: WorkerReply) => {
            switch (reply.type) {
              case 'ready':
                dispatch();
                break;
              case 'progress':
                emit({ type: 'progress', worker, id: reply.id, event: reply.event });
                break;
              case 'done':
                summary.trained++;
                emit({ type: 'done', worker, id: reply.id, finalTestAcc: reply.finalTestAcc, diverged: reply.diverged, seconds: reply.seconds });
                dispatch();
                break;
              case 'failed':
                summary.failed.push({ id: reply.id, message: reply.message, badInput: reply.badInput });
                emit({ type: 'failed', worker, id: reply.id, message: reply.message });
                dispatch();
                break;
            }
          });
          child.on('exit', (code, signal) => {
            if (current && !options.signal?.aborted) {
              reject(new Error(`zoo: worker ${worker} exited (${signal ?? `code ${code}`}) while training ${current.id}`));
            } else resolve();
          });
          child.on('error', reject);
        });
      }),
    );
  } finally {
    options.signal?.removeEventListener('abort', abort);
    abort();
  }
  return summary;
}
