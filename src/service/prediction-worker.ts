/**
 * Predictions in a child process: extracting a run's window features is the service's one
 * costly step (tens of milliseconds for LeNet-5, seconds for a VGG), and done in the
 * service's own process it would hold every other request up meanwhile. The child
 * (`prediction-child.ts`) receives the model once, then predicts the runs it is sent, one
 * at a time; a child that dies fails the predictions in flight and is started again on the
 * next one.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { restoreError } from '../predict/evaluate-workers.js';
import type { TransportedError } from '../predict/evaluate-workers.js';
import type { ModelFile } from '../predict/model-file.js';
import type { RunPrediction } from '../predict/model-use.js';
import { workerEntry } from '../util/worker-entry.js';

/** Parent -> child. */
export type PredictionRequest = { type: 'model'; model: ModelFile } | { type: 'predict'; id: number; runDir: string };

/** Child -> parent. */
export type PredictionReply = { id: number; prediction: RunPrediction } | { id: number; error: TransportedError };

/** A child process predicting runs with one model. */
export class PredictionWorker {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, { resolve: (p: RunPrediction) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly model: ModelFile) {}

  /**
   * Extracts the window features of the run in `runDir` and predicts it. Returns the
   * prediction; throws what `predictRuns` threw (with its type for bad input), or an
   * `Error` if the child died.
   */
  predict(runDir: string): Promise<RunPrediction> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ type: 'predict', id, runDir } satisfies PredictionRequest);
    });
  }

  /** Stops the child (predictions in flight fail). */
  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }

  private start(): ChildProcess {
    const entry = workerEntry(import.meta.url, 'prediction-child');
    const child = fork(entry.path, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (reply: PredictionReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('error' in reply) waiting?.reject(restoreError(reply.error));
      else waiting?.resolve(reply.prediction);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const { reject } of this.pending.values()) reject(new Error(`prediction worker exited with ${signal ?? `code ${code}`}`));
      this.pending.clear();
    });
    child.send({ type: 'model', model: this.model } satisfies PredictionRequest);
    return child;
  }
}
