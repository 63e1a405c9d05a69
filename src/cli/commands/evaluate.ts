/**
 * `epochgraph evaluate ZOO...`: every method compared on the same folds and epoch window
 * (src/predict/evaluation.ts), or fitted on some zoos and tested on another.
 */
import type { Command } from 'commander';
import { evaluateSubsamples, evaluateZoos, evaluationSpec, specBlocks, zooFeatureTable } from '../../predict/evaluation.js';
import { formatEpochs } from '../../util/epochs.js';
import { addEvaluationOptions, evaluationProgress, evaluationText, specFromFlags, subsampleText, workersFromFlags } from '../evaluation.js';
import { UsageError, parsePositiveInt } from '../options.js';
import type { EvaluationFlags } from '../evaluation.js';
import { printJson } from '../output.js';

/** Draws of the small-zoo protocol unless told otherwise. */
const DEFAULT_REPEATS = 10;

/** Registers the command on `program`. */
export function registerEvaluate(program: Command): void {
  const command = program
    .command('evaluate')
    .argument('<zoos...>', 'zoos to cross-validate on, as one (or to train on, with --test-zoo)')
    .description('compare the graph predictor with every baseline on the same folds and epoch window')
    .option('--test-zoo <zoo>', 'fit on <zoos>, test on this one (width transfer, unseen architectures)')
    .option('--train-size <n>', 'as a small zoo: fit on <n> runs drawn at random (whole configurations), test on the rest')
    .option('--repeats <r>', 'draws of --train-size runs, each scored; mean and sd are reported (default 10)');
  addEvaluationOptions(command, ['epochs', 'folds', 'layout', 'methods', 'seed', 'classes', 'target', 'prior', 'workers'], true)
    .option('--json', 'print {"methods": [{name, r2, mae, kendall_tau, spearman, coverage, ..., learned: {...}}]}')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Runs sharing a configuration (differing only by seed) never straddle folds. Metrics are also
reported over the runs that learned: final accuracy more than 10 points above chance (1 / classes,
from each run's config.num_classes or config.dataset, or --classes).
Several zoos are pooled as one (each run given once).
Examples:
  epochgraph evaluate zoo --epochs 0-3 --json > evaluation.json
  epochgraph evaluate zoo zoo-b --epochs 0-3
  epochgraph evaluate zoo --epochs 0-3 --train-size 40 --repeats 10 --method graph,last-acc,lc-extrapolate
  epochgraph evaluate zoo --epochs 0-3 --method graph+curve,curve --prior builtin`,
    )
    .action(async (zoos: string[], options: EvaluationFlags & { testZoo?: string; trainSize?: string; repeats?: string; json?: boolean; quiet?: boolean }) => {
      const spec = evaluationSpec(specFromFlags(options));
      const progress = evaluationProgress(Boolean(options.quiet || options.json), zoos.join(', '));
      if (options.repeats !== undefined && options.trainSize === undefined) throw new UsageError('--repeats: give --train-size too (the runs each draw trains on)');
      if (options.trainSize !== undefined) {
        if (options.testZoo !== undefined) throw new UsageError('--train-size: draws its test runs from the zoos; it does not combine with --test-zoo');
        const subsample = { trainSize: parsePositiveInt('--train-size', options.trainSize), repeats: options.repeats === undefined ? DEFAULT_REPEATS : parsePositiveInt('--repeats', options.repeats) };
        const table = await zooFeatureTable(zoos, spec, specBlocks(spec), progress.onProgress);
        const result = await evaluateSubsamples(table, spec, subsample, { onProgress: progress.onProgress, workers: workersFromFlags(options) });
        progress.clear();
        if (options.json) {
          printJson({
            zoo: zoos.join(' '),
            zoos,
            window: formatEpochs(spec.window),
            layout: spec.layout,
            target_transform: spec.pipeline.target ?? 'logit',
            prior: spec.pipeline.prior ?? null,
            protocol: 'grouped-subsample',
            train_size: result.trainSize,
            repeats: result.repeats,
            runs: result.runs,
            seed: spec.seed,
            chance: result.chance,
            methods: result.methods,
          });
          return;
        }
        console.log(subsampleText(result, zoos.join(' + ')));
        return;
      }
      const result = await evaluateZoos(zoos, spec, { testZoo: options.testZoo, onProgress: progress.onProgress, workers: workersFromFlags(options) });
      progress.clear();
      const target = spec.pipeline.target ?? 'logit';
      if (options.json) {
        printJson({
          zoo: zoos.join(' '),
          zoos,
          test_zoo: options.testZoo ?? null,
          window: formatEpochs(spec.window),
          layout: spec.layout,
          target_transform: target,
          prior: spec.pipeline.prior ?? null,
          protocol: options.testZoo ? 'train-test' : `grouped-${spec.folds}-fold`,
          chance: result.chance,
          methods: result.evaluations.map(({ predictions: _p, ...rest }) => rest),
        });
        return;
      }
      const zoo = zoos.join(' + ');
      const protocol = options.testZoo ? `fit on ${zoo}, tested on ${options.testZoo}` : `grouped ${spec.folds}-fold cross-validation on ${zoo}`;
      console.log(`${protocol}; window ${formatEpochs(spec.window)}, ${spec.layout} features, estimators fitted on ${target === 'logit' ? 'the logit of' : 'raw'} accuracy`);
      console.log(`\n${evaluationText(result)}`);
    });
}
