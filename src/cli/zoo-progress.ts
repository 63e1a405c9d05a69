/**
 * Progress of a zoo run for `zoo` and `demo`: an overall bar with ETA and a line per
 * worker on a terminal, a line per finished run when piped, JSON lines with `json`,
 * nothing but failures with `quiet`.
 */
import { formatNumber } from '../util/format.js';
import type { ZooEvent } from '../zoo/runner.js';
import { LiveBlock, bar, formatDuration } from './progress.js';

/** Display options. */
export interface ZooProgressOptions {
  /** Names the zoo in the first line (the grid file, or "demo"). */
  readonly label: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Returns the event handler for `runZoo`, a `finish()` that clears the display, and the count of finished runs. */
export function createZooProgress(options: ZooProgressOptions): { onEvent: (event: ZooEvent) => void; finish: () => void; done: () => number } {
  const live = new LiveBlock();
  const showLive = !options.quiet && !options.json;
  const started = performance.now();
  let total = 0;
  let done = 0;
  let doneThisSession = 0;
  let failed = 0;
  const lines = new Map<number, string>();
  const render = (force = false) => {
    const elapsed = (performance.now() - started) / 1000;
    const eta = doneThisSession > 0 ? ((total - done) * elapsed) / doneThisSession : NaN;
    const header = `zoo ${done}/${total} runs ${bar(total ? done / total : 1)} ${formatDuration(elapsed)} elapsed, ETA ${formatDuration(eta)}${failed ? `, ${failed} failed` : ''}`;
    live.update([header, ...[...lines.entries()].sort(([a], [b]) => a - b).map(([, l]) => l)], force);
  };
  const onEvent = (event: ZooEvent) => {
    if (options.json) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    switch (event.type) {
      case 'plan':
        total = event.total;
        done = event.done;
        if (!options.quiet) live.log(`${options.label}: ${total} runs, ${done} already done, ${event.workers} worker(s)`);
        break;
      case 'start':
        lines.set(event.worker, `  worker ${event.worker}  ${event.id}  starting`);
        break;
      case 'progress': {
        const p = event.event;
        const where = p.type === 'batch' ? `epoch ${p.epoch}  batch ${p.batch}/${p.batches}` : `epoch ${p.epoch}/${p.epochs} test_acc ${formatNumber(p.entry.test_acc)}`;
        lines.set(event.worker, `  worker ${event.worker}  ${event.id}  ${where}`);
        break;
      }
      case 'done':
        done++;
        doneThisSession++;
        lines.delete(event.worker);
        if (showLive) live.log(`${event.id}: test_acc ${formatNumber(event.finalTestAcc)}${event.diverged ? ' (diverged)' : ''} in ${formatDuration(event.seconds)}  [${done}/${total}]`);
        break;
      case 'failed':
        failed++;
        lines.delete(event.worker);
        live.log(`${event.id}: failed: ${event.message}`);
        break;
    }
    if (showLive) render(event.type !== 'progress');
  };
  return { onEvent, finish: () => live.clear(), done: () => done };
}
