/**
 * A pool of child processes (./child.ts) that run queue jobs, one job per child at a time.
 * A child that dies mid-job fails that job (the queue retries it) and is replaced by a
 * fresh one on the next job.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { workerEntry } from '../util/worker-entry.js';
import type { ChildReply, ChildRequest } from './child.js';

/** A finished job's last reply (not progress). */
export type ChildResult = Exclude<ChildReply, { type: 'ready' } | { type: 'progress' }>;

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
}

/** Child processes for the jobs a worker runs at once (the queue worker caps how many). */
export class ChildPool {
  private readonly idle: Slot[] = [];
  private readonly all = new Set<Slot>();
  private readonly entry = workerEntry(import.meta.url, 'child');

  private spawn(): Slot {
    const child = fork(this.entry.path, [], { execArgv: this.entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', (reply: ChildReply) => (reply.type === 'ready' ? resolve() : reject(new Error(`queue worker child: unexpected first message ${reply.type}`))));
      child.once('exit', (code, signal) => reject(new Error(`queue worker child exited (${signal ?? `code ${code}`}) before it was ready`)));
    });
    const slot = { child, ready };
    this.all.add(slot);
    child.once('exit', () => this.all.delete(slot));
    return slot;
  }

  /**
   * Runs `request` on an idle child (spawning one if none), passing progress replies to
   * `onProgress`. Returns the child's final reply; rejects if the child dies first.
   */
  async run(request: ChildRequest, onProgress: (reply: Extract<ChildReply, { type: 'progress' }>) => void): Promise<ChildResult> {
    const slot = this.idle.pop() ?? this.spawn();
    await slot.ready;
    return new Promise<ChildResult>((resolve, reject) => {
      const onMessage = (reply: ChildReply) => {
        if (reply.type === 'progress') return onProgress(reply);
        if (reply.type === 'ready') return;
        cleanup();
        this.idle.push(slot);
        resolve(reply);
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`queue worker child exited (${signal ?? `code ${code}`}) during the job`));
      };
      const cleanup = () => {
        slot.child.off('message', onMessage);
        slot.child.off('exit', onExit);
      };
      slot.child.on('message', onMessage);
      slot.child.on('exit', onExit);
      slot.child.send(request);
    });
  }

  /** Stops every child (a job still running is abandoned; the queue hands it to another worker). */
  close(): void {
    for (const slot of this.all) slot.child.kill();
    this.all.clear();
    this.idle.length = 0;
  }
}
