/**
 * `epochgraph zoo GRID.yaml --out ZOO`: trains a grid of runs with worker processes, resumably.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { DEFAULTS as GRID_DEFAULTS, readGrid } from '../../zoo/grid.js';
import { runZoo } from '../../zoo/runner.js';
import { EpochgraphError } from '../../errors.js';
import { parsePositiveInt } from '../options.js';
import { createZooProgress } from '../zoo-progress.js';

/** Registers the command on `program`. */
export function registerZoo(program: Command): void {
  program
    .command('zoo')
    .argument('<grid>', 'grid file (YAML, see docs/zoo-grid.md)')
    .description('train a zoo of runs from a grid file, in parallel; re-running finishes what is missing')
    .requiredOption('--out <dir>', 'zoo directory (one subdirectory per run)')
    .option('--workers <n>', `worker processes (default: one per core, here ${cpus().length})`)
    .option('--max-runs <n>', `most runs the grid may expand to (default ${GRID_DEFAULTS.maxRuns.toLocaleString('en-US')})`)
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
    .action(async (gridFile: string, options: { out: string; workers?: string; maxRuns?: string; json?: boolean; quiet?: boolean }) => {
      const workers = options.workers === undefined ? undefined : parsePositiveInt('--workers', options.workers);
      const maxRuns = options.maxRuns === undefined ? undefined : parsePositiveInt('--max-runs', options.maxRuns);
      const grid = await readGrid(gridFile, { maxRuns });
      const progress = createZooProgress({ label: gridFile, json: options.json, quiet: options.quiet });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runZoo(grid, options.out, { workers, onEvent: progress.onEvent, signal: controller.signal });
        progress.finish();
        if (controller.signal.aborted) {
          process.stderr.write(`interrupted: ${progress.done()}/${summary.total} runs finished; run the same command again to continue\n`);
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
