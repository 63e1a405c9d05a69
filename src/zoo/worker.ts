/**
 * A zoo worker process: trains the runs its parent sends, one at a time, and reports
 * progress over IPC. One worker per core, because the wasm backend runs one thread.
 */
import type { TrainProgress } from '../train/train.js';
import { trainRequest } from './train-job.js';
import type { TrainOutcome, TrainRequest } from './train-job.js';

/** Parent -> worker. */
export type WorkerRequest = ({ type: 'run' } & TrainRequest) | { type: 'stop' };

/** Worker -> parent. */
export type WorkerReply = { type: 'ready' } | { type: 'progress'; id: string; event: TrainProgress } | TrainOutcome;

const send = (reply: WorkerReply) => process.send?.(reply);

process.on('message', async (request: WorkerRequest) => {
  if (request.type === 'stop') {
    process.disconnect();
    return;
  }
  send(await trainRequest(request, (event) => send({ type: 'progress', id: request.id, event })));
});

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
