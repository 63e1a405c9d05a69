/**
 * `epochgraph predict RUN|ZOO... --model MODEL.json|builtin`: the final test accuracy of
 * runs, predicted from their early epochs with a model file (or the built-in pretrained
 * model), with its interval, and a warning for runs unlike the model's training runs.
 */
import type { Command } from 'commander';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, listZoo } from '../../checkpoint/run.js';
import { BUILTIN_MODEL, readModelFile } from '../../predict/model-file.js';
import { outOfRangeLimit, predictRuns } from '../../predict/model-use.js';
import { UsageError } from '../options.js';
import { printJson, renderTable } from '../output.js';

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** Registers the command on `program`. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .argument('<runs...>', 'run directories or zoos')
    .description('predict the final test accuracy of runs from their early epochs, with a 90% interval')
    .requiredOption('--model <file>', `model file written by epochgraph fit, or "${BUILTIN_MODEL}": the pretrained model shipped with epochgraph (docs/builtin-model.md)`)
    .option('--json', 'print [{"run", "predicted", "lower", "upper", "out_of_range", "out_of_range_share"}]')
    .addHelpText(
      'after',
      `
The model reads the epochs of its window (and the test accuracy at its end) from each run.
"out_of_range" counts a run's features outside the range they took over the model's training
runs; above a share of them (at least 10%) a warning prints on stderr: the model extrapolates,
and its interval is not to be trusted.
Examples:
  epochgraph predict zoo/run-0007 --model model.json
  epochgraph predict zoo --model ${BUILTIN_MODEL} --json`,
    )
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
      const label = options.model === BUILTIN_MODEL ? 'the built-in model' : options.model;
      const { table, predictions: results } = await predictRuns(model, runDirs, label);
      const limit = outOfRangeLimit(model);
      for (const r of results) {
        if (r.out_of_range_share !== null && r.out_of_range_share > limit) {
          console.error(
            `warning: ${r.run}: ${r.out_of_range} of its features (${percent(r.out_of_range_share)}) lie outside ${label}'s training range (limit ${percent(limit)}); the prediction extrapolates and its interval is not to be trusted`,
          );
        }
      }
      if (options.json) {
        printJson(results);
        return;
      }
      console.log(
        renderTable(
          ['run', 'predicted final accuracy', '90% interval', 'actual', 'out of range'],
          results.map((r, i) => [
            r.run,
            r.predicted.toFixed(4),
            `${r.lower.toFixed(4)} - ${r.upper.toFixed(4)}`,
            Number.isNaN(table.targets[i]) ? '-' : table.targets[i].toFixed(4),
            r.out_of_range_share === null ? '-' : percent(r.out_of_range_share),
          ]),
          ['left', 'right', 'right', 'right', 'right'],
        ),
      );
    });
}
