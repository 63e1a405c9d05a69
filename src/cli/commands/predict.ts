/**
 * `epochgraph predict RUN|ZOO... --model MODEL.json`: the final test accuracy of runs,
 * predicted from their early epochs with a model file, with its interval.
 */
import type { Command } from 'commander';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, listZoo } from '../../checkpoint/run.js';
import { readModelFile } from '../../predict/model-file.js';
import { predictRuns } from '../../predict/model-use.js';
import { UsageError } from '../options.js';
import { printJson, renderTable } from '../output.js';

/** Registers the command on `program`. */
export function registerPredict(program: Command): void {
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
      const { table, predictions: results } = await predictRuns(model, runDirs);
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
