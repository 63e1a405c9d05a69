/**
 * A zoo worker process: trains the runs its parent sends, one at a time, and reports
 * progress over IPC. One worker per core, because the wasm backend runs one thread.
 */
import type { TrainConfig } from '../checkpoint/run-config.js';
import { EpochgraphError } from '../errors.js';
import { parseCheckpointPolicy } from '../train/checkpoint-policy.js';
import { trainRun } from '../train/train.js';
import type { TrainProgress } from '../train/train.js';

/** Parent -> worker. */
export type WorkerRequest = { type: 'run'; id: string; out: string; config: TrainConfig; keepCheckpoints: string; dataDir?: string } | { type: 'stop' };

/** Worker -> parent. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'progress'; id: string; event: TrainProgress }
  | { type: 'done'; id: string; finalTestAcc: number | null; diverged: boolean; seconds: number }
  | { type: 'failed'; id: string; message: string; badInput: boolean };

const send = (reply: WorkerReply) => process.send?.(reply);

/** Throttle batch events: the parent redraws at most ~10 times a second. */
let lastBatchReport = 0;

process.on('message', async (request: WorkerRequest) => {
  if (request.type === 'stop') {
    process.disconnect();
    return;
  }
  try {
    const run = await trainRun(request.config, {
      out: request.out,
      id: request.id,
      dataDir: request.dataDir,
      keepCheckpoints: parseCheckpointPolicy(request.keepCheckpoints),
      onProgress: (event) => {
        const now = performance.now();
        if (event.type === 'batch' && now - lastBatchReport < 100) return;
        lastBatchReport = now;
        send({ type: 'progress', id: request.id, event });
      },
    });
    send({
      type: 'done',
      id: request.id,
      finalTestAcc: run.history.at(-1)?.test_acc ?? null,
      diverged: run.diverged_at_epoch !== undefined,
      seconds: run.timing.seconds,
    });
  } catch (error) {
    send({ type: 'failed', id: request.id, message: (error as Error).message, badInput: error instanceof EpochgraphError });
  }
});

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
