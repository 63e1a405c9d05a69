/**
 * A queue worker's child process: does the jobs its parent hands it, one at a time
 * (training runs the wasm backend on one thread, and features are CPU-bound), and reports
 * progress over IPC. Exits when its parent goes away, so that a killed worker leaves no
 * orphan writing into the zoo.
 */
import { EpochgraphError } from '../errors.js';
import type { TrainProgress } from '../train/train.js';
import { trainRequest } from '../zoo/train-job.js';
import type { TrainOutcome } from '../zoo/train-job.js';
import { cachedRunFeatures } from '../zoo-index/feature-cache.js';
import type { FeaturesJobData, TrainJobData } from './jobs.js';

/** Parent -> child. */
export type ChildRequest = { type: 'train'; data: TrainJobData } | { type: 'features'; data: FeaturesJobData };

/** Child -> parent. */
export type ChildReply =
  | { type: 'ready' }
  | { type: 'progress'; event: TrainProgress }
  | TrainOutcome
  | { type: 'features-done'; blocks: number }
  | { type: 'features-failed'; message: string; badInput: boolean };

// A send can race the parent's death: with a callback, its error (a closed channel, EPIPE) goes
// there instead of an uncaught 'error' event, and the 'disconnect' handler below ends the process.
const send = (reply: ChildReply) => process.send?.(reply, undefined, undefined, () => undefined);

process.on('message', async (request: ChildRequest) => {
  if (request.type === 'train') {
    send(await trainRequest(request.data, (event) => send({ type: 'progress', event })));
    return;
  }
  try {
    const blocks = await cachedRunFeatures(request.data.run, request.data);
    send({ type: 'features-done', blocks: Object.keys(blocks).length });
  } catch (error) {
    send({ type: 'features-failed', message: (error as Error).message, badInput: error instanceof EpochgraphError });
  }
});

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
