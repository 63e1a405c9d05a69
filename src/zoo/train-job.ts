/**
 * One planned run trained inside a worker process: the request a coordinator sends (the
 * in-process zoo runner or a queue worker) and the outcome it gets back. Batch progress is
 * throttled so that a coordinator redraws at most about ten times a second.
 */
import type { TrainConfig } from '../checkpoint/run-config.js';
import { EpochgraphError } from '../errors.js';
import { parseCheckpointPolicy } from '../train/checkpoint-policy.js';
import { trainRun } from '../train/train.js';
import type { TrainProgress } from '../train/train.js';

/** What to train: run `id` of a zoo into the directory `out`. */
export interface TrainRequest {
  readonly id: string;
  readonly out: string;
  readonly config: TrainConfig;
  /** A checkpoint policy (`parseCheckpointPolicy` syntax). */
  readonly keepCheckpoints: string;
  readonly dataDir?: string;
  /** Save the training state after every epoch and continue an interrupted attempt from it (see `trainRun`). */
  readonly resume?: boolean;
}

/** How a training request ended. */
export type TrainOutcome =
  | { type: 'done'; id: string; finalTestAcc: number | null; diverged: boolean; seconds: number; resumedFromEpoch?: number }
  | { type: 'failed'; id: string; message: string; badInput: boolean };

/** Trains `request`, reporting progress through `onProgress`. Returns the outcome; never throws. */
export async function trainRequest(request: TrainRequest, onProgress: (event: TrainProgress) => void): Promise<TrainOutcome> {
  let lastBatchReport = 0;
  try {
    const run = await trainRun(request.config, {
      out: request.out,
      id: request.id,
      dataDir: request.dataDir,
      keepCheckpoints: parseCheckpointPolicy(request.keepCheckpoints),
      resume: request.resume,
      onProgress: (event) => {
        const now = performance.now();
        if (event.type === 'batch' && now - lastBatchReport < 100) return;
        lastBatchReport = now;
        onProgress(event);
      },
    });
    return {
      type: 'done',
      id: request.id,
      finalTestAcc: run.history.at(-1)?.test_acc ?? null,
      diverged: run.diverged_at_epoch !== undefined,
      seconds: run.timing.seconds,
      ...(run.timing.resumed_from_epoch === undefined ? {} : { resumedFromEpoch: run.timing.resumed_from_epoch }),
    };
  } catch (error) {
    return { type: 'failed', id: request.id, message: (error as Error).message, badInput: error instanceof EpochgraphError };
  }
}
