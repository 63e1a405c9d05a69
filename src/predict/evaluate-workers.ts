/**
 * `evaluateMethods` over several processes. Methods are independent (each is fitted and
 * scored on the same folds with its own seeded estimators), so they are shared among child
 * processes, the next method going to the first free one; the results are exactly those of
 * one process, in the methods' order. An `EvaluationPool` keeps its processes for many
 * evaluations, several at once: starting a process costs seconds (loading the modules),
 * as much as evaluating a small zoo's cheaper methods, and the methods of one evaluation
 * rarely split evenly among the processes.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EpochgraphError, OptionError } from '../errors.js';
import type { FeatureTable } from '../summary/table.js';
import { workerEntry } from '../util/worker-entry.js';
import type { Method } from './evaluate-methods.js';
import { evaluateMethods } from './evaluate.js';
import type { EvaluateOptions, MethodEvaluation } from './evaluate.js';

/** What a worker needs of one evaluation besides the method: its tables and shared options. */
export interface EvaluationTables {
  readonly table: FeatureTable;
  readonly testTable?: FeatureTable;
  readonly options: Omit<EvaluateOptions, 'methods' | 'onMethod'>;
}

/** Parent -> worker. `id` names an evaluation; a worker keeps its tables until `release`. */
export type EvaluateRequest =
  | ({ type: 'tables'; id: number } & EvaluationTables)
  | { type: 'method'; id: number; index: number; method: Method }
  | { type: 'release'; id: number }
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
export type EvaluateReply = { type: 'done'; id: number; index: number; evaluation: MethodEvaluation } | { type: 'failed'; id: number; index: number; error: TransportedError };

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

/** One evaluation in a pool: its methods still to send, and what came back. */
interface PendingEvaluation {
  readonly id: number;
  readonly tables: EvaluationTables;
  readonly methods: readonly Method[];
  readonly onMethod?: EvaluateOptions['onMethod'];
  readonly results: MethodEvaluation[];
  next: number;
  done: number;
  failed: boolean;
  /** Workers holding its tables. */
  readonly holders: Set<ChildProcess>;
  readonly resolve: (evaluations: MethodEvaluation[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Child processes that evaluate methods, shared by every evaluation given to `evaluate`,
 * concurrent ones included: each free process takes the next method of the oldest
 * evaluation with methods left. `close` stops them; a pool is not reusable after it.
 */
export class EvaluationPool {
  readonly #children: ChildProcess[] = [];
  readonly #busy = new Map<ChildProcess, PendingEvaluation>();
  readonly #queue: PendingEvaluation[] = [];
  #nextId = 0;
  #closed = false;
  /** Set when a process fails: every evaluation after it is refused with this error. */
  #broken: Error | undefined;

  /** Starts `size` (>= 1) processes. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new OptionError('workers', `expected an integer >= 1, got ${size}`);
    const entry = workerEntry(import.meta.url, 'evaluate-worker');
    for (let k = 0; k < size; k++) {
      const child = fork(entry.path, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (reply: EvaluateReply) => this.#onReply(child, reply));
      child.on('error', (error) => this.#fail(error));
      child.on('exit', (code, signal) => {
        if (!this.#closed) this.#fail(new Error(`evaluation worker exited with ${signal ?? `code ${code}`}`));
      });
      this.#children.push(child);
    }
  }

  /**
   * Evaluates `options.methods` as `evaluateMethods` does, in the pool's processes.
   * Returns one evaluation per method, in order; throws the first error a method raised,
   * with its type.
   */
  evaluate(table: FeatureTable, options: EvaluateOptions, testTable?: FeatureTable): Promise<MethodEvaluation[]> {
    if (this.#closed) return Promise.reject(new Error('evaluation pool: closed'));
    if (this.#broken) return Promise.reject(this.#broken);
    const { methods, onMethod, ...shared } = options;
    return new Promise((resolve, reject) => {
      const pending: PendingEvaluation = {
        id: this.#nextId++,
        tables: { table, testTable, options: shared },
        methods,
        onMethod,
        results: new Array(methods.length),
        next: 0,
        done: 0,
        failed: false,
        holders: new Set(),
        resolve,
        reject,
      };
      if (methods.length === 0) resolve([]);
      else {
        this.#queue.push(pending);
        this.#dispatch();
      }
    });
  }

  /** Stops the processes: idle ones when they have read what was sent them, busy ones (an evaluation given up) at once. */
  close(): void {
    this.#closed = true;
    for (const child of this.#children) {
      if (this.#busy.has(child)) child.kill();
      else if (child.connected) child.send({ type: 'stop' } satisfies EvaluateRequest);
    }
  }

  /** Gives every idle process the next method waiting. */
  #dispatch(): void {
    for (const child of this.#children) {
      if (this.#busy.has(child)) continue;
      const pending = this.#queue[0];
      if (!pending) return;
      const index = pending.next++;
      if (pending.next === pending.methods.length) this.#queue.shift();
      if (!pending.holders.has(child)) {
        child.send({ type: 'tables', id: pending.id, ...pending.tables } satisfies EvaluateRequest);
        pending.holders.add(child);
      }
      this.#busy.set(child, pending);
      child.send({ type: 'method', id: pending.id, index, method: pending.methods[index] } satisfies EvaluateRequest);
    }
  }

  #onReply(child: ChildProcess, reply: EvaluateReply): void {
    const pending = this.#busy.get(child) as PendingEvaluation;
    this.#busy.delete(child);
    if (reply.type === 'failed') {
      if (!pending.failed) {
        pending.failed = true;
        const waiting = this.#queue.indexOf(pending);
        if (waiting >= 0) this.#queue.splice(waiting, 1);
        pending.reject(restoreError(reply.error));
      }
    } else if (!pending.failed) {
      pending.results[reply.index] = reply.evaluation;
      pending.done++;
      pending.onMethod?.(reply.evaluation.name, pending.done, pending.methods.length);
      if (pending.done === pending.methods.length) pending.resolve(pending.results);
    }
    if (pending.failed || pending.done === pending.methods.length) {
      // Nothing of it is running any more once no process is busy with it.
      if (![...this.#busy.values()].includes(pending)) for (const holder of pending.holders) holder.send({ type: 'release', id: pending.id } satisfies EvaluateRequest);
    }
    this.#dispatch();
  }

  /** A process failed: every evaluation waiting or running fails with `error`, and the pool stops. */
  #fail(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    const running = new Set([...this.#queue, ...this.#busy.values()]);
    this.#queue.length = 0;
    for (const pending of running) {
      if (pending.failed) continue;
      pending.failed = true;
      pending.reject(error);
    }
    this.#closed = true;
    for (const child of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

/**
 * Evaluates `options.methods` as `evaluateMethods` does, in up to `workers` processes of a
 * pool of its own (in this one when there is one worker or one method). Returns one
 * evaluation per method, in order; throws the first error a method raised, with its type.
 */
export async function evaluateMethodsInWorkers(table: FeatureTable, options: EvaluateOptions, testTable: FeatureTable | undefined, workers: number): Promise<MethodEvaluation[]> {
  const count = Math.min(workers, options.methods.length);
  if (count <= 1) return evaluateMethods(table, options, testTable);
  const pool = new EvaluationPool(count);
  try {
    return await pool.evaluate(table, options, testTable);
  } finally {
    pool.close();
  }
}
