/**
 * The prediction child process (prediction-worker.ts): receives the model once, then
 * predicts each run directory it is sent, replying with the prediction or the error.
 */
import { transportError } from '../predict/evaluate-workers.js';
import type { ModelFile } from '../predict/model-file.js';
import { predictRuns } from '../predict/model-use.js';
import type { PredictionReply, PredictionRequest } from './prediction-worker.js';

let model: ModelFile | undefined;

process.on('message', (request: PredictionRequest) => {
  if (request.type === 'model') {
    model = request.model;
    return;
  }
  predictRuns(model as ModelFile, [request.runDir]).then(
    ({ predictions: [prediction] }) => process.send?.({ id: request.id, prediction } satisfies PredictionReply),
    (error: unknown) => process.send?.({ id: request.id, error: transportError(error) } satisfies PredictionReply),
  );
});
// The parent going away ends the child.
process.on('disconnect', () => process.exit(0));
