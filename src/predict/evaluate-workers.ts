/**
 * `evaluateMethods` over several processes. Methods are independent (each is fitted and
 * scored on the same folds with its own seeded estimators), so they are shared among child
 * processes, the next method going to the first free one; the results are exactly those of
 * one process, in the methods' order.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EpochgraphError, OptionError } from '../errors.js';
import type { FeatureTable } from '../summary/table.js';
import { workerEntry } from '../util/worker-entry.js';
import type { Method } from './evaluate-methods.js';
import { evaluateMethods } from './evaluate.js';
import type { EvaluateOptions, MethodEvaluation } from './evaluate.js';

/** Parent -> worker. */
export type EvaluateRequest =
  | { type: 'tables'; table: FeatureTable; testTable?: FeatureTable; options: Omit<EvaluateOptions, 'methods' | 'onMethod'> }
  | { type: 'method'; index: number; method: Method }
  | { type: 'stop' };

/** An error crossing the process boundary, enough to raise it again with its type. */
export interface TransportedError {
  readonly message: string;
  /** Set for bad input (an `EpochgraphError`). */
  readonly badInput: boolean;
  /** Set for an `OptionError`. */
  readonly option?: { readonly field: string; readonly detail: string };
}

/** Worker -> parent. */
export type EvaluateReply = { type: 'done'; index: number; evaluation: MethodEvaluation } | { type: 'failed'; index: number; error: TransportedError };

/** `error` as it crosses to the parent. */
export function transportError(error: unknown): TransportedError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof OptionError) return { message, badInput: true, option: { field: error.field, detail: error.detail } };
  return { message, badInput: error instanceof EpochgraphError };
}

/** The error `transported` stood for, raised again in the parent with its type. */
export function restoreError(transported: TransportedError): Error {
  if (transported.option) return new OptionError(transported.option.field, transported.option.detail);
  return transported.badInput ? new EpochgraphError(transported.message) : new Error(transported.message);
}

/**
 * Evaluates `options.methods` as `evaluateMethods` does, in up to `workers` processes
 * (in this one when there is one worker or one method). Returns one evaluation per method,
 * in order; throws the first error a method raised, with its type.
 */
export async function evaluateMethodsInWorkers(table: FeatureTable, options: EvaluateOptions, testTable: FeatureTable | undefined, workers: number): Promise<MethodEvaluation[]> {
  const { methods, onMethod, ...shared } = options;
  const count = Math.min(workers, methods.length);
  if (count <= 1) return evaluateMethods(table, options, testTable);
  const entry = workerEntry(import.meta.url, 'evaluate-worker');
  const results: MethodEvaluation[] = new Array(methods.length);
  const children: ChildProcess[] = [];
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<void>((resolve, reject) => {
            const child = fork(entry.path, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            children.push(child);
            const send = (request: EvaluateRequest) => child.send(request);
            const sendNext = () => {
              if (next >= methods.length) send({ type: 'stop' });
              else {
                const index = next++;
                send({ type: 'method', index, method: methods[index] });
              }
            };
            child.on('message', (reply: EvaluateReply) => {
              if (reply.type === 'failed') {
                reject(restoreError(reply.error));
                return;
              }
              results[reply.index] = reply.evaluation;
              done++;
              onMethod?.(reply.evaluation.name, done, methods.length);
              sendNext();
            });
            child.on('error', reject);
            child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`evaluation worker exited with ${signal ?? `code ${code}`}`))));
            send({ type: 'tables', table, testTable, options: shared });
            sendNext();
          }),
      ),
    );
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  return results;
}
