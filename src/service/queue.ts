/**
 * A bounded work queue: at most `concurrency` tasks run at once and at most `capacity`
 * wait. A caller reserves a place before doing anything it would have to undo, so a full
 * queue is refused up front (the service answers 503 with Retry-After) and memory never
 * grows with the load.
 */
import { OptionError } from '../errors.js';

export const DEFAULTS = Object.freeze({
  /** Tasks running at once (feature extraction is CPU-bound: one per process). */
  concurrency: 1,
  /** Reserved places waiting to run. */
  capacity: 16,
});

/** Options of `BoundedQueue`. */
export interface BoundedQueueOptions {
  readonly concurrency?: number;
  readonly capacity?: number;
}

/** A reserved place in the queue: run one task with it, or release it unused. */
export interface QueueTicket {
  /** Runs `task` when a slot is free. Returns its result; the place is freed when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Gives the place back without running anything (idempotent; a no-op after `run`). */
  release(): void;
}

/** A bounded queue of asynchronous tasks. */
export class BoundedQueue {
  readonly concurrency: number;
  readonly capacity: number;
  private running = 0;
  /** Places reserved and not yet running (waiting for a ticket's `run`, or for a slot). */
  private reserved = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: BoundedQueueOptions = {}) {
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.capacity = options.capacity ?? DEFAULTS.capacity;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) throw new OptionError('concurrency', `queue: expected a positive integer, got ${this.concurrency}`);
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 0) throw new OptionError('queueCapacity', `queue: expected a non-negative integer, got ${this.capacity}`);
  }

  /** Tasks waiting or reserved, and running. */
  get depth(): { readonly waiting: number; readonly running: number } {
    return { waiting: this.reserved, running: this.running };
  }

  /** Reserves a place. Returns a ticket, or undefined when `capacity` places are taken. */
  reserve(): QueueTicket | undefined {
    if (this.reserved >= this.capacity + Math.max(0, this.concurrency - this.running)) return undefined;
    this.reserved++;
    let state: 'reserved' | 'used' | 'released' = 'reserved';
    return {
      run: async <T>(task: () => Promise<T>): Promise<T> => {
        if (state !== 'reserved') throw new Error('queue: a ticket runs one task');
        state = 'used';
        // A finishing task hands its slot straight to the next waiter (running stays as is).
        if (this.running < this.concurrency) this.running++;
        else await new Promise<void>((resolve) => this.waiting.push(resolve));
        this.reserved--;
        try {
          return await task();
        } finally {
          const next = this.waiting.shift();
          if (next) next();
          else this.running--;
        }
      },
      release: () => {
        if (state !== 'reserved') return;
        state = 'released';
        this.reserved--;
      },
    };
  }
}
