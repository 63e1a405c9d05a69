/**
 * `epochgraph fit`, `epochgraph predict` and `epochgraph evaluate`: the predictor on top
 * of zoo feature tables.
 */
import type { Command } from 'commander';
import { stat, access } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, listZoo, listZoos, readRun } from '../../checkpoint/run.js';
import { UsageError } from '../../errors.js';
import { evaluateMethods } from '../../predict/evaluate.js';
import { METHODS, findMethod } from '../../predict/evaluate-methods.js';
import type { Method } from '../../predict/evaluate-methods.js';
import { readModelFile, writeModelFile } from '../../predict/model-file.js';
import { fitModel, modelPredictions } from '../../predict/model-use.js';
import { TARGET_TRANSFORMS } from '../../predict/target.js';
import type { TargetTransform } from '../../predict/target.js';
import { FEATURE_BLOCKS } from '../../summary/features.js';
import { LAYOUTS } from '../../summary/snapshot.js';
import type { FeatureLayout } from '../../summary/snapshot.js';
import { buildFeatureTable } from '../../summary/table.js';
import { formatEpochWindow, parseEpochWindow } from '../../summary/temporal.js';
import { parseChoice, parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { formatNumber, printJson, renderTable } from '../output.js';
import { CHANCE, metricsTable, zooTable } from '../evaluation-output.js';
import { LiveBlock, bar } from '../progress.js';

/** The method `fit` uses unless told otherwise. */
export const DEFAULT_METHOD = 'graph+curve';

function parseMethods(text: string): Method[] {
  return text.split(',').map((name) => {
    const method = findMethod(name.trim());
    if (!method) throw new UsageError(`--method: unknown method ${JSON.stringify(name)}; choose from ${METHODS.map((m) => m.name).join(', ')}`);
    return method;
  });
}

/** Registers fit, predict and evaluate on `program`. */
export function registerPredict(program: Command): void {
  program
    .command('evaluate')
    .argument('<zoos...>', 'zoos to cross-validate on, as one (or to train on, with --test-zoo)')
    .description('compare the graph predictor with every baseline on the same folds and epoch window')
    .requiredOption('--epochs <window>', 'epoch window, e.g. 0-3')
    .option('--test-zoo <zoo>', 'fit on <zoos>, test on this one (width transfer, unseen architectures)')
    .option('--folds <k>', 'grouped cross-validation folds', '5')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')}`, 'per-layer')
    .option('--method <list>', 'methods to compare (default: all)', METHODS.map((m) => m.name).join(','))
    .option('--seed <n>', 'seed of the fold assignment and the estimators', '0')
    .option('--target-transform <t>', `what the estimators fit: ${TARGET_TRANSFORMS.join(' or ')} (raw accuracy)`, 'logit')
    .option('--json', 'print {"methods": [{name, r2, mae, kendall_tau, spearman, coverage, ...}]}')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Runs sharing a configuration (differing only by seed) never straddle folds. Metrics are also
reported over runs that did not diverge (final accuracy > chance + 10 points).
Several zoos are pooled as one (each run given once).
Examples:
  epochgraph evaluate zoo --epochs 0-3 --json > evaluation.json
  epochgraph evaluate zoo zoo-b --epochs 0-3`,
    )
    .action(async (zoos: string[], options: { epochs: string; testZoo?: string; folds: string; layout: string; method: string; seed: string; targetTransform: string; json?: boolean; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const target = parseChoice<TargetTransform>('--target-transform', options.targetTransform, TARGET_TRANSFORMS) as TargetTransform;
      const methods = parseMethods(options.method);
      const folds = parsePositiveInt('--folds', options.folds);
      const seed = parseNonNegativeInt('--seed', options.seed);
      const quiet = Boolean(options.quiet || options.json);
      // A test run also fitted on would score its own training: listZoos refuses runs given twice.
      if (options.testZoo) await listZoos([...zoos, options.testZoo]);
      const table = await zooTable(zoos, window, layout, methods, quiet);
      const testTable = options.testZoo ? await zooTable([options.testZoo], window, layout, methods, quiet) : undefined;
      const live = new LiveBlock();
      const results = evaluateMethods(
        table,
        {
          methods,
          windowEnd: window[window.length - 1],
          folds,
          seed,
          chance: CHANCE,
          pipeline: { target },
          onMethod: (name, done, total) => {
            if (!quiet) live.update([`evaluating ${bar(done / total)} ${done}/${total} methods (${name})`]);
          },
        },
        testTable,
      );
      live.clear();
      if (options.json) {
        printJson({
          zoo: zoos.join(' '),
          zoos,
          test_zoo: options.testZoo ?? null,
          window: formatEpochWindow(window),
          layout,
          target_transform: target,
          protocol: options.testZoo ? 'train-test' : `grouped-${folds}-fold`,
          methods: results.map(({ predictions: _p, ...rest }) => rest),
        });
        return;
      }
      const zoo = zoos.join(' + ');
      const protocol = options.testZoo ? `fit on ${zoo}, tested on ${options.testZoo}` : `grouped ${folds}-fold cross-validation on ${zoo}`;
      console.log(`${protocol}; window ${formatEpochWindow(window)}, ${layout} features, estimators fitted on ${target === 'logit' ? 'the logit of' : 'raw'} accuracy`);
      console.log(`\nall runs\n${metricsTable(results, 'all')}`);
      console.log(`\nruns that did not diverge (final accuracy > ${CHANCE + 0.1})\n${metricsTable(results, 'nondiverged')}`);
      const best = [...results].sort((a, b) => b.nondiverged.kendall_tau - a.nondiverged.kendall_tau)[0];
      console.log(`\nbest Kendall tau on non-diverged runs: ${best.name} (${formatNumber(best.nondiverged.kendall_tau)})`);
    });

  program
    .command('fit')
    .argument('<zoos...>', 'zoos to learn from, as one')
    .description('fit a predictor of final accuracy from early epochs and save it as a model file')
    .requiredOption('--epochs <window>', 'epoch window, e.g. 0-3')
    .requiredOption('--out <file>', 'model file to write (JSON)')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')}`, 'per-layer')
    .option('--method <name>', `feature set: ${METHODS.filter((m) => !m.direct).map((m) => m.name).join(', ')}`, DEFAULT_METHOD)
    .option('--folds <k>', 'folds of the cross-validated summary', '5')
    .option('--target-transform <t>', `what the estimators fit: ${TARGET_TRANSFORMS.join(' or ')} (raw accuracy)`, 'logit')
    .option('--quiet', 'print only the summary line')
    .action(async (zoos: string[], options: { epochs: string; out: string; layout: string; method: string; folds: string; targetTransform: string; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const target = parseChoice<TargetTransform>('--target-transform', options.targetTransform, TARGET_TRANSFORMS) as TargetTransform;
      const [method] = parseMethods(options.method);
      const folds = parsePositiveInt('--folds', options.folds);
      const table = await zooTable(zoos, window, layout, [method], Boolean(options.quiet));
      const runConfigs = (await Promise.all(table.runs.map((r) => readRun(r)))).map((r) => r.config);
      const { model, evaluation, pipeline } = fitModel(table, { method, layout, window, folds, chance: CHANCE, runConfigs, pipeline: { target } });
      await writeModelFile(options.out, model);
      if (!options.quiet) {
        console.log(`cross-validated (${folds} folds, grouped by configuration) on ${model.training_runs} runs, window ${formatEpochWindow(window)}, method ${method.name}:`);
        console.log(metricsTable([evaluation], 'all'));
      }
      const scale = target === 'logit' && pipeline.selection.intervalSpace === 'target' ? ' in log-odds of accuracy' : '';
      console.log(`${options.out}: ${pipeline.selection.candidate} on ${model.columns.length} features, 90% interval +/- ${formatNumber(pipeline.selection.halfWidth)}${scale}`);
    });

  program
    .command('predict')
    .argument('<runs...>', 'run directories or zoos')
    .description('predict the final test accuracy of runs from their early epochs, with a 90% interval')
    .requiredOption('--model <file>', 'model file written by epochgraph fit')
    .option('--json', 'print [{"run", "predicted", "lower", "upper"}]')
    .action(async (targets: string[], options: { model: string; json?: boolean }) => {
      const model = await readModelFile(options.model);
      const runDirs: string[] = [];
      for (const target of targets) {
        const isRun = await access(join(target, RUN_FILE)).then(() => true, () => false);
        if (isRun) runDirs.push(target);
        else if ((await stat(target).catch(() => undefined))?.isDirectory()) {
          const runs = await listZoo(target);
          if (runs.length === 0) throw new UsageError(`${target}: neither a run (no run.json) nor a zoo (no runs inside)`);
          runDirs.push(...runs);
        } else throw new UsageError(`${target}: no such run or zoo directory`);
      }
      const blocks = model.blocks.filter((b): b is (typeof FEATURE_BLOCKS)[number] => (FEATURE_BLOCKS as readonly string[]).includes(b));
      const table = await buildFeatureTable(runDirs, { window: model.window, layout: model.layout, blocks });
      const { predictions: prediction } = modelPredictions(model, table);
      const results = table.runs.map((run, i) => ({ run, predicted: prediction.predicted[i], lower: prediction.lower[i], upper: prediction.upper[i] }));
      if (options.json) {
        printJson(results);
        return;
      }
      console.log(
        renderTable(
          ['run', 'predicted final accuracy', '90% interval', 'actual'],
          results.map((r, i) => [r.run, r.predicted.toFixed(4), `${r.lower.toFixed(4)} - ${r.upper.toFixed(4)}`, Number.isNaN(table.targets[i]) ? '-' : table.targets[i].toFixed(4)]),
          ['left', 'right', 'right', 'right'],
        ),
      );
    });
}
