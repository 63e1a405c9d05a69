/**
 * `epochgraph demo`: the whole method on the embedded MNIST digits, in minutes on a
 * laptop: train a small zoo of MLP and LeNet-5 runs over learning rate, dropout,
 * initialisation and optimizer; summarise the graphs of their first epochs; compare the
 * graph predictor with every baseline by cross-validation; write the report; print the
 * metrics and the report's path.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { parseCheckpointPolicy } from '../../train/checkpoint-policy.js';
import { evaluateMethods } from '../../predict/evaluate.js';
import { METHODS } from '../../predict/evaluate-methods.js';
import type { Grid } from '../../zoo/grid.js';
import { expandGrid } from '../../zoo/grid.js';
import { runZoo } from '../../zoo/runner.js';
import { EpochgraphError } from '../../errors.js';
import { formatEpochWindow } from '../../summary/temporal.js';
import { CHANCE, metricsTable, zooTable } from '../evaluation-output.js';
import { parsePositiveInt } from '../options.js';
import { LiveBlock, bar, formatDuration } from '../progress.js';
import { formatNumber } from '../output.js';
import { createZooProgress } from '../zoo-progress.js';

/** Defaults sized to finish in about five minutes on two cores. */
export const DEMO_DEFAULTS = { runs: 48, epochs: 10, window: [0, 1, 2, 3], trainLimit: 4000, folds: 5 };

/** Learning-rate ranges per optimizer, those of examples/mnist-zoo.yaml. */
const DEMO_LEARNING_RATES = { sgd: [3e-4, 0.2], adam: [5e-5, 0.02] } as const;

/** The demo's grid: every (architecture, optimizer, init) cell, `samples` draws of learning rate (per optimizer's range) and dropout. */
export function demoGrid(runs: number, epochs: number, trainLimit: number): Grid {
  const cells = 2 * 2 * 3;
  return {
    blocks: Object.entries(DEMO_LEARNING_RATES).map(([optimizer, [low, high]]) => ({
      fixed: { dataset: 'mnist', epochs, train_limit: trainLimit, batch_size: 64, optimizer },
      choices: { arch: ['mlp', 'lenet5'], init: ['kaiming', 'xavier', 'small_normal'] },
      ranges: { lr: { kind: 'log_uniform', low, high }, dropout: { kind: 'uniform', low: 0, high: 0.5 } },
    })),
    seeds: [0],
    samples: Math.max(1, Math.ceil(runs / cells)),
    samplingSeed: 0,
    keepCheckpoints: parseCheckpointPolicy(`0-${DEMO_DEFAULTS.window.at(-1)},last`),
  };
}

/** Registers the command on `program`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole method end to end on the embedded MNIST digits: zoo, graphs, predictor, baselines')
    .option('--out <dir>', 'where to write the zoo and the results', 'epochgraph-demo')
    .option('--runs <n>', 'runs to train (rounded up to a multiple of 12)', String(DEMO_DEFAULTS.runs))
    .option('--epochs <n>', 'epochs per run (the predicted accuracy is the last one)', String(DEMO_DEFAULTS.epochs))
    .option('--train-limit <n>', 'training images per run (of the 8,000)', String(DEMO_DEFAULTS.trainLimit))
    .option('--workers <n>', `training processes (default: one per core, here ${cpus().length})`)
    .addHelpText(
      'after',
      `
Runs are MLP 784-256-256-10 and LeNet-5 trained on --train-limit of the embedded MNIST digits,
SGD (momentum 0.9) or Adam, learning rate log-uniform in [1e-4, 0.3], dropout in [0, 0.5],
kaiming, xavier or small-normal initialisation. Features use epochs ${formatEpochWindow(DEMO_DEFAULTS.window)}.
Re-running with the same --out reuses the runs already trained.`,
    )
    .action(async (options: { out: string; runs: string; epochs: string; trainLimit: string; workers?: string }) => {
      const started = performance.now();
      const runs = parsePositiveInt('--runs', options.runs);
      const epochs = parsePositiveInt('--epochs', options.epochs);
      const window = DEMO_DEFAULTS.window.filter((e) => e <= epochs);
      const workers = options.workers === undefined ? undefined : parsePositiveInt('--workers', options.workers);
      const grid = demoGrid(runs, epochs, parsePositiveInt('--train-limit', options.trainLimit));
      const zoo = join(options.out, 'zoo');
      console.log(`epochgraph demo: ${expandGrid(grid).length} runs of MLP and LeNet-5 on embedded MNIST, ${epochs} epochs each, into ${zoo}`);
      console.log(`step 1/4: training the zoo`);
      const progress = createZooProgress({ label: 'demo' });
      const summary = await runZoo(grid, zoo, { workers, onEvent: progress.onEvent });
      progress.finish();
      if (summary.failed.length > 0) throw new EpochgraphError(`demo: ${summary.failed.length} run(s) failed; first: ${summary.failed[0].message}`);
      console.log(`step 2/4: graph summaries of epochs ${formatEpochWindow(window)} and baseline features`);
      const table = await zooTable([zoo], window, 'per-layer', METHODS, false);
      console.log(`step 3/4: ${DEMO_DEFAULTS.folds}-fold cross-validation of ${METHODS.length} methods`);
      const live = new LiveBlock();
      const results = evaluateMethods(table, {
        methods: METHODS,
        windowEnd: window[window.length - 1],
        folds: DEMO_DEFAULTS.folds,
        seed: 0,
        chance: CHANCE,
        onMethod: (name, done, total) => live.update([`evaluating ${bar(done / total)} ${done}/${total} (${name})`]),
      });
      live.clear();
      console.log('step 4/4: the report');
      const { writeReport } = await import('../../report/report.js');
      const report = await writeReport({ zoo, window, layout: 'per-layer', table, evaluations: results, outDir: join(options.out, 'report'), chance: CHANCE });
      console.log(`\nPredicting the epoch-${epochs} test accuracy of ${table.runs.length} runs from epochs ${formatEpochWindow(window)} (out-of-fold):`);
      console.log(`\nall runs\n${metricsTable(results, 'all')}`);
      console.log(`\nruns that did not diverge (final accuracy > ${CHANCE + 0.1})\n${metricsTable(results, 'nondiverged')}`);
      const best = [...results].sort((a, b) => b.nondiverged.kendall_tau - a.nondiverged.kendall_tau)[0];
      console.log(`\nbest ranking of non-diverged runs: ${best.name} (Kendall tau ${formatNumber(best.nondiverged.kendall_tau)})`);
      console.log(`report: ${report.index}`);
      console.log(`done in ${formatDuration((performance.now() - started) / 1000)}; zoo in ${zoo}`);
    });
}
