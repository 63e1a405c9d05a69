/**
 * `epochgraph zoo GRID.yaml --out ZOO`: trains a grid of runs with worker processes, resumably.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { readGrid } from '../../zoo/grid.js';
import { runZoo } from '../../zoo/runner.js';
import type { ZooEvent } from '../../zoo/runner.js';
import { EpochgraphError } from '../../errors.js';
import { parsePositiveInt } from '../options.js';
import { formatNumber } from '../output.js';
import { LiveBlock, bar, formatDuration } from '../progress.js';

/** Registers the command on `program`. */
export function registerZoo(program: Command): void {
  program
    .command('zoo')
    .argument('<grid>', 'grid file (YAML, see docs/zoo-grid.md)')
    .description('train a zoo of runs from a grid file, in parallel; re-running finishes what is missing')
    .requiredOption('--out <dir>', 'zoo directory (one subdirectory per run)')
    .option('--workers <n>', `worker processes (default: one per core, here ${cpus().length})`)
    .option('--json', 'print events as JSON lines on stdout')
    .option('--quiet', 'print nothing but errors and the final summary')
    .addHelpText(
      'after',
      `
Runs already finished in --out are skipped; interrupted runs are retrained from the start.
Example grid:
  config:
    arch: [mlp, lenet5]
    epochs: 15
    lr: {log_uniform: [0.001, 0.3]}
    dropout: [0, 0.3]
  samples: 5
  seeds: 2
  keep_checkpoints: 0-5,last`,
    )
    .action(async (gridFile: string, options: { out: string; workers?: string; json?: boolean; quiet?: boolean }) => {
      const workers = options.workers === undefined ? undefined : parsePositiveInt('--workers', options.workers);
      const grid = await readGrid(gridFile);
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
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const onEvent = (event: ZooEvent) => {
        if (options.json) {
          process.stdout.write(`${JSON.stringify(event)}\n`);
          return;
        }
        switch (event.type) {
          case 'plan':
            total = event.total;
            done = event.done;
            if (!options.quiet) live.log(`${gridFile}: ${total} runs, ${done} already done, ${event.workers} worker(s)`);
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
            if (showLive) {
              live.log(`${event.id}: test_acc ${formatNumber(event.finalTestAcc)}${event.diverged ? ' (diverged)' : ''} in ${formatDuration(event.seconds)}  [${done}/${total}]`);
            }
            break;
          case 'failed':
            failed++;
            lines.delete(event.worker);
            live.log(`${event.id}: failed: ${event.message}`);
            break;
        }
        if (showLive) render(event.type !== 'progress');
      };
      try {
        const summary = await runZoo(grid, options.out, { workers, onEvent, signal: controller.signal });
        live.clear();
        if (controller.signal.aborted) {
          process.stderr.write(`interrupted: ${done}/${total} runs finished; run the same command again to continue\n`);
          process.exitCode = 130;
          return;
        }
        if (!options.json) {
          console.log(`${options.out}: ${summary.total} runs (${summary.trained} trained now, ${summary.skipped} already done, ${summary.failed.length} failed)`);
        }
        if (summary.failed.length > 0) {
          const badInput = summary.failed.every((f) => f.badInput);
          throw badInput ? new EpochgraphError(`${summary.failed.length} run(s) failed; first: ${summary.failed[0].id}: ${summary.failed[0].message}`) : new Error(`${summary.failed[0].id}: ${summary.failed[0].message}`);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
