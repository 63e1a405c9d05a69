/**
 * `epochgraph fit ZOO... --out MODEL.json`: a predictor fitted on every run of the zoos,
 * with its cross-validated metrics, saved as a model file.
 */
import type { Command } from 'commander';
import { evaluationSpec, specBlocks, zooFeatureTable } from '../../predict/evaluation.js';
import { writeModelFile } from '../../predict/model-file.js';
import { fitModel, fittableMethod } from '../../predict/model-fit.js';
import { formatEpochs } from '../../util/epochs.js';
import { formatNumber } from '../../util/format.js';
import { DEFAULT_FIT_METHOD, addEvaluationOptions, evaluationProgress, metricsTable, specFromFlags } from '../evaluation.js';
import type { EvaluationFlags } from '../evaluation.js';

/** Registers the command on `program`. */
export function registerFit(program: Command): void {
  const command = program
    .command('fit')
    .argument('<zoos...>', 'zoos to learn from, as one')
    .description('fit a predictor of final accuracy from early epochs and save it as a model file')
    .requiredOption('--out <file>', 'model file to write (JSON)');
  addEvaluationOptions(command, ['epochs', 'layout', 'method', 'folds', 'seed', 'classes', 'target', 'prior'], true)
    .option('--quiet', 'print only the summary line')
    .addHelpText(
      'after',
      `
The model file records the zoos, the runs per architecture and dataset, and each feature
column's range over the training runs (predict counts a run's features outside it).
With --prior builtin the learned method corrects the built-in pretrained model's prediction of
each run (docs/builtin-model.md), computed from the run's own checkpoints; predicting with the
model file computes it again.
Examples:
  epochgraph fit zoo --epochs 0-3 --out model.json
  epochgraph fit my-sweep --epochs 0-3 --method curve --prior builtin --out model.json`,
    )
    .action(async (zoos: string[], options: EvaluationFlags & { out: string; quiet?: boolean }) => {
      const flags = specFromFlags({ ...options, method: options.method ?? DEFAULT_FIT_METHOD });
      const spec = evaluationSpec(flags);
      // Before any checkpoint is read: a method without a model is refused at once.
      fittableMethod(spec);
      const progress = evaluationProgress(Boolean(options.quiet), zoos.join(', '));
      const table = await zooFeatureTable(zoos, spec, specBlocks(spec), progress.onProgress);
      const { model, evaluation, pipeline } = await fitModel(table, spec);
      progress.clear();
      await writeModelFile(options.out, { ...model, zoos });
      if (!options.quiet) {
        console.log(`cross-validated (${spec.folds} folds, grouped by configuration) on ${model.training_runs} runs, window ${formatEpochs(spec.window)}, method ${model.method}:`);
        console.log(metricsTable([evaluation], 'all'));
      }
      const scale = pipeline.options.target === 'logit' && pipeline.selection.intervalSpace === 'target' ? ' in log-odds of accuracy' : '';
      console.log(`${options.out}: ${pipeline.selection.candidate} on ${model.columns.length} features, 90% interval +/- ${formatNumber(pipeline.selection.halfWidth)}${scale}`);
    });
}
