/**
 * `epochgraph demo`: the whole method on the embedded MNIST digits, in minutes on a
 * laptop: train a small zoo of MLP and LeNet-5 runs over learning rate, dropout,
 * initialisation and optimizer; summarise the graphs of their first epochs; compare the
 * graph predictor with every baseline by cross-validation; write the report; print the
 * metrics and the report's path.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { EpochgraphError } from '../../errors.js';
import { DEFAULTS as EVALUATION_DEFAULTS, evaluateZoos, evaluationSpec } from '../../predict/evaluation.js';
import { parseCheckpointPolicy } from '../../train/checkpoint-policy.js';
import { formatEpochs } from '../../util/epochs.js';
import { expandGrid } from '../../zoo/grid.js';
import type { Grid } from '../../zoo/grid.js';
import { runZoo } from '../../zoo/runner.js';
import { evaluationProgress, evaluationText } from '../evaluation.js';
import { parsePositiveInt } from '../options.js';
import { formatDuration } from '../progress.js';
import { createZooProgress } from '../zoo-progress.js';

/** Defaults sized to finish in a few minutes on two cores; the window and folds are the evaluation's defaults. */
export const DEFAULTS = Object.freeze({ runs: 48, epochs: 10, trainLimit: 4000 });

/** Learning-rate ranges per optimizer, those of examples/mnist-zoo.yaml. */
const DEMO_LEARNING_RATES = Object.freeze({ sgd: [3e-4, 0.2], adam: [5e-5, 0.02] } as const);

/** The demo's grid: every (architecture, optimizer, init) cell, `samples` draws of learning rate (per optimizer's range) and dropout. */
export function demoGrid(runs: number, epochs: number, trainLimit: number): Grid {
  const cells = 2 * 2 * 3;
  const window = EVALUATION_DEFAULTS.window;
  return {
    blocks: Object.entries(DEMO_LEARNING_RATES).map(([optimizer, [low, high]]) => ({
      fixed: { dataset: 'mnist', epochs, train_limit: trainLimit, batch_size: 64, optimizer },
      choices: { arch: ['mlp', 'lenet5'], init: ['kaiming', 'xavier', 'small_normal'] },
      ranges: { lr: { kind: 'log_uniform', low, high }, dropout: { kind: 'uniform', low: 0, high: 0.5 } },
    })),
    seeds: [0],
    samples: Math.max(1, Math.ceil(runs / cells)),
    samplingSeed: 0,
    keepCheckpoints: parseCheckpointPolicy(`${formatEpochs(window)},last`),
  };
}

/** Registers the command on `program`. */
export function registerDemo(program: Command): void {
  const rates = Object.entries(DEMO_LEARNING_RATES).map(([optimizer, [low, high]]) => `[${low}, ${high}] for ${optimizer === 'sgd' ? 'SGD' : 'Adam'}`);
  program
    .command('demo')
    .description('the whole method end to end on the embedded MNIST digits: zoo, graphs, predictor, baselines')
    .option('--out <dir>', 'where to write the zoo and the results', 'epochgraph-demo')
    .option('--runs <n>', 'runs to train (rounded up to a multiple of 12)', String(DEFAULTS.runs))
    .option('--epochs <n>', 'epochs per run (the predicted accuracy is the last one)', String(DEFAULTS.epochs))
    .option('--train-limit <n>', 'training images per run (of the 8,000)', String(DEFAULTS.trainLimit))
    .option('--workers <n>', `processes for training and for the evaluation (default: one per core, here ${cpus().length})`)
    .addHelpText(
      'after',
      `
Runs are MLP 784-256-256-10 and LeNet-5 trained on --train-limit of the embedded MNIST digits,
SGD (momentum 0.9) or Adam, learning rate log-uniform in ${rates.join(' and ')}, dropout in [0, 0.5],
kaiming, xavier or small-normal initialisation. Features use epochs ${formatEpochs(EVALUATION_DEFAULTS.window)}; every method is
compared by grouped ${EVALUATION_DEFAULTS.folds}-fold cross-validation.
Re-running with the same --out reuses the runs already trained.`,
    )
    .action(async (options: { out: string; runs: string; epochs: string; trainLimit: string; workers?: string }) => {
      const started = performance.now();
      const lap = (() => {
        let last = started;
        return () => {
          const now = performance.now();
          const text = formatDuration((now - last) / 1000);
          last = now;
          return text;
        };
      })();
      const runs = parsePositiveInt('--runs', options.runs);
      const epochs = parsePositiveInt('--epochs', options.epochs);
      const workers = options.workers === undefined ? undefined : parsePositiveInt('--workers', options.workers);
      const grid = demoGrid(runs, epochs, parsePositiveInt('--train-limit', options.trainLimit));
      const spec = evaluationSpec({ window: EVALUATION_DEFAULTS.window.filter((e) => e <= epochs) });
      const zoo = join(options.out, 'zoo');
      console.log(`epochgraph demo: ${expandGrid(grid).length} runs of MLP and LeNet-5 on embedded MNIST, ${epochs} epochs each, into ${zoo}`);
      console.log('step 1/3: training the zoo');
      const progress = createZooProgress({ label: 'demo' });
      const summary = await runZoo(grid, zoo, { workers, onEvent: progress.onEvent });
      progress.finish();
      if (summary.failed.length > 0) throw new EpochgraphError(`demo: ${summary.failed.length} run(s) failed; first: ${summary.failed[0].message}`);
      console.log(`step 2/3: graph summaries of epochs ${formatEpochs(spec.window)} and baseline features, ${spec.folds}-fold cross-validation of ${spec.methods.length} methods (training took ${lap()})`);
      const evaluating = evaluationProgress(false, zoo);
      const result = await evaluateZoos([zoo], spec, { onProgress: evaluating.onProgress, workers: workers ?? cpus().length });
      evaluating.clear();
      console.log(`step 3/3: the report (evaluation took ${lap()})`);
      const { writeReport } = await import('../../report/report.js');
      const report = await writeReport({ zoo, evaluation: result, outDir: join(options.out, 'report') });
      console.log(`\nPredicting the epoch-${epochs} test accuracy of ${result.table.runs.length} runs from epochs ${formatEpochs(spec.window)} (out-of-fold):`);
      console.log(`\n${evaluationText(result)}`);
      console.log(`report: ${report.index} (written in ${lap()})`);
      console.log(`done in ${formatDuration((performance.now() - started) / 1000)}; zoo in ${zoo}`);
    });
}
