/**
 * `epochgraph inspect RUN --out DIR`: the visual report of one run (src/report/run-report.ts).
 */
import type { Command } from 'commander';
import { readModelFile } from '../../predict/model-file.js';
import { parseEpochWindow } from '../../util/epochs.js';
import { formatNumber } from '../../util/format.js';



/** Registers the command on `program`. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .argument('<run>', 'run directory (run.json and checkpoints/)')
    .description("write an HTML report of one run: learning curves, per-layer graph properties over epochs, its graph drawn, and a model's prediction")
    .requiredOption('--out <dir>', 'report directory to write (new, empty, or an earlier report, which is replaced)')
    .option('--model <file>', "show this model's prediction of the final accuracy, with its interval")
    .option('--epochs <window>', "epoch window (default: the model's, else 0-3)")
    .addHelpText(
      'after',
      `
Writes DIR/index.html (viewable offline), the figures as SVG and PNG under DIR/figures, and
DIR/report.json. For a summary on the terminal instead, see epochgraph inspect-run.
Examples:
  epochgraph inspect zoo/run-0007 --out run-0007-report
  epochgraph inspect zoo/run-0007 --model model.json --out run-0007-report`,
    )
    .action(async (run: string, options: { out: string; model?: string; epochs?: string }) => {
      const window = options.epochs === undefined ? undefined : parseEpochWindow(options.epochs);
      const model = options.model === undefined ? undefined : await readModelFile(options.model);
      const { writeRunReport } = await import('../../report/run-report.js');
      const summary = await writeRunReport({ run, window, model, outDir: options.out });
      if (summary.prediction) {
        const p = summary.prediction;
        console.log(`predicted final test accuracy ${formatNumber(p.predicted)} (interval ${formatNumber(p.lower)} to ${formatNumber(p.upper)})`);
      }
      console.log(summary.index);
    });
}
