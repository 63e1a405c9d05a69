/**
 * `epochgraph fit`, `epochgraph predict` and `epochgraph evaluate`: the predictor on top
 * of zoo feature tables.
 */
import type { Command } from 'commander';
import { stat, access } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, listZoo, readRun } from '../../checkpoint/run.js';
import { EpochgraphError, UsageError } from '../../errors.js';
import { evaluateMethods, selectColumns } from '../../predict/evaluate.js';
import { METHODS, findMethod } from '../../predict/evaluate-methods.js';
import type { Method } from '../../predict/evaluate-methods.js';
import { libraryVersion, readModelFile, writeModelFile } from '../../predict/model-file.js';
import { PredictorPipeline } from '../../predict/pipeline.js';
import { FEATURE_BLOCKS } from '../../summary/features.js';
import { LAYOUTS } from '../../summary/snapshot.js';
import type { FeatureLayout } from '../../summary/snapshot.js';
import { buildFeatureTable, columnsOf } from '../../summary/table.js';
import { formatEpochWindow, parseEpochWindow } from '../../summary/temporal.js';
import { parseChoice, parsePositiveInt } from '../options.js';
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
    .argument('<zoo>', 'zoo to cross-validate on (or to train on, with --test-zoo)')
    .description('compare the graph predictor with every baseline on the same folds and epoch window')
    .requiredOption('--epochs <window>', 'epoch window, e.g. 0-3')
    .option('--test-zoo <zoo>', 'fit on <zoo>, test on this one (width transfer, unseen architectures)')
    .option('--folds <k>', 'grouped cross-validation folds', '5')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')}`, 'per-layer')
    .option('--method <list>', 'methods to compare (default: all)', METHODS.map((m) => m.name).join(','))
    .option('--seed <n>', 'seed of the fold assignment and the estimators', '0')
    .option('--json', 'print {"methods": [{name, r2, mae, kendall_tau, spearman, coverage, ...}]}')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Runs sharing a configuration (differing only by seed) never straddle folds. Metrics are also
reported over runs that did not diverge (final accuracy > chance + 10 points).
Example: epochgraph evaluate zoo --epochs 0-3 --json > evaluation.json`,
    )
    .action(async (zoo: string, options: { epochs: string; testZoo?: string; folds: string; layout: string; method: string; seed: string; json?: boolean; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const methods = parseMethods(options.method);
      const folds = parsePositiveInt('--folds', options.folds);
      const seed = parsePositiveInt('--seed', String(Number(options.seed) + 1)) - 1;
      const quiet = Boolean(options.quiet || options.json);
      const table = await zooTable(zoo, window, layout, methods, quiet);
      const testTable = options.testZoo ? await zooTable(options.testZoo, window, layout, methods, quiet) : undefined;
      const live = new LiveBlock();
      const results = evaluateMethods(
        table,
        {
          methods,
          windowEnd: window[window.length - 1],
          folds,
          seed,
          chance: CHANCE,
          onMethod: (name, done, total) => {
            if (!quiet) live.update([`evaluating ${bar(done / total)} ${done}/${total} methods (${name})`]);
          },
        },
        testTable,
      );
      live.clear();
      if (options.json) {
        printJson({
          zoo,
          test_zoo: options.testZoo ?? null,
          window: formatEpochWindow(window),
          layout,
          protocol: options.testZoo ? 'train-test' : `grouped-${folds}-fold`,
          methods: results.map(({ predictions: _p, ...rest }) => rest),
        });
        return;
      }
      const protocol = options.testZoo ? `fit on ${zoo}, tested on ${options.testZoo}` : `grouped ${folds}-fold cross-validation on ${zoo}`;
      console.log(`${protocol}; window ${formatEpochWindow(window)}, ${layout} features`);
      console.log(`\nall runs\n${metricsTable(results, 'all')}`);
      console.log(`\nruns that did not diverge (final accuracy > ${CHANCE + 0.1})\n${metricsTable(results, 'nondiverged')}`);
      const best = [...results].sort((a, b) => b.nondiverged.kendall_tau - a.nondiverged.kendall_tau)[0];
      console.log(`\nbest Kendall tau on non-diverged runs: ${best.name} (${formatNumber(best.nondiverged.kendall_tau)})`);
    });

  program
    .command('fit')
    .argument('<zoo>', 'zoo to learn from')
    .description('fit a predictor of final accuracy from early epochs and save it as a model file')
    .requiredOption('--epochs <window>', 'epoch window, e.g. 0-3')
    .requiredOption('--out <file>', 'model file to write (JSON)')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')}`, 'per-layer')
    .option('--method <name>', `feature set: ${METHODS.filter((m) => !m.direct).map((m) => m.name).join(', ')}`, DEFAULT_METHOD)
    .option('--folds <k>', 'folds of the cross-validated summary', '5')
    .option('--quiet', 'print only the summary line')
    .action(async (zoo: string, options: { epochs: string; out: string; layout: string; method: string; folds: string; quiet?: boolean }) => {
      const window = parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS) as FeatureLayout;
      const [method] = parseMethods(options.method);
      if (method.direct) throw new UsageError(`--method ${method.name} has no model to fit`);
      const folds = parsePositiveInt('--folds', options.folds);
      const table = await zooTable(zoo, window, layout, [method], Boolean(options.quiet));
      const [evaluation] = evaluateMethods(table, { methods: [method], windowEnd: window[window.length - 1], folds, seed: 0, chance: CHANCE });
      const rows = table.runs.map((_, i) => i).filter((i) => !Number.isNaN(table.targets[i]));
      const columns = columnsOf(table, method.blocks).map((c) => table.columns[c]);
      const X = selectColumns(table, columns);
      const pick = { data: new Float64Array(rows.length * columns.length), rows: rows.length, cols: columns.length };
      rows.forEach((r, k) => pick.data.set(X.data.subarray(r * columns.length, (r + 1) * columns.length), k * columns.length));
      const pipeline = new PredictorPipeline().fit(pick, rows.map((i) => table.targets[i]), rows.map((i) => table.groups[i]));
      const runs = await Promise.all(table.runs.map((r) => readRun(r)));
      const distinct = (values: unknown[]) => [...new Set(values.map((v) => (typeof v === 'string' ? v : 'unknown')))].sort();
      const { predictions: _predictions, chosen: _chosen, name: _name, description: _description, nondiverged: _nondiverged, ...metrics } = evaluation;
      await writeModelFile(options.out, {
        format: 'epochgraph-model',
        version: 1,
        epochgraph_version: libraryVersion(),
        method: method.name,
        blocks: method.blocks,
        layout,
        window,
        architectures: distinct(runs.map((r) => r.config.arch)),
        datasets: distinct(runs.map((r) => r.config.dataset)),
        columns,
        training_runs: rows.length,
        cross_validation: { ...metrics, folds },
        pipeline: pipeline.toJSON(),
      });
      if (!options.quiet) {
        console.log(`cross-validated (${folds} folds, grouped by configuration) on ${rows.length} runs, window ${formatEpochWindow(window)}, method ${method.name}:`);
        console.log(metricsTable([evaluation], 'all'));
      }
      console.log(`${options.out}: ${pipeline.selection.candidate} on ${columns.length} features, 90% interval +/- ${formatNumber(pipeline.selection.halfWidth)}`);
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
      const known = new Set(model.columns);
      const structural = new Set(['graph', 'graph-static', 'weights']);
      table.runs.forEach((run, r) => {
        const width = table.columns.length;
        const present = table.columns.filter((c, k) => !Number.isNaN(table.matrix[r * width + k]) || structural.has(c.slice(0, c.indexOf(':'))));
        const foreign = present.filter((c) => structural.has(c.slice(0, c.indexOf(':'))) && !known.has(c));
        if (foreign.length > 0) {
          throw new EpochgraphError(
            `${run}: its architecture does not fit the model (fitted on ${model.architectures.join(', ')} with ${model.layout} features; e.g. ${foreign[0].split(':')[1]} is new); fit with --layout agnostic to predict other architectures`,
          );
        }
        const end = model.window[model.window.length - 1];
        if (model.blocks.includes('curve') && Number.isNaN(table.matrix[r * width + table.columns.indexOf(`curve:e${end}.test_acc`)])) {
          throw new EpochgraphError(`${run}: history has no test_acc for epoch ${end}, the end of the model's window ${formatEpochWindow(model.window)}`);
        }
      });
      const X = selectColumns(table, model.columns);
      const prediction = PredictorPipeline.fromJSON(model.pipeline).predict(X);
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
