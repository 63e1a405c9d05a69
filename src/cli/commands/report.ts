/**
 * `epochgraph report ZOO --out DIR`: the zoo's visual report (src/report/zoo-report.ts).
 */
import type { Command } from 'commander';
import { readModelFile } from '../../predict/model-file.js';
import { readReplayFile } from '../../prune/replay.js';
import type { ReportProgress } from '../../report/report.js';
import { addEvaluationOptions, specFromFlags, workersFromFlags } from '../evaluation.js';
import type { EvaluationFlags } from '../evaluation.js';
import { LiveBlock, bar } from '../progress.js';

const STAGES: Record<Parameters<ReportProgress>[0], string> = {
  features: 'features',
  evaluate: 'cross-validating',
  properties: 'graph properties',
  figures: 'figures',
};

/** Registers the command on `program`. */
export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .argument('<zoos...>', 'zoo directories (one run per subdirectory); several are reported as one')
    .description('write a self-contained HTML report of a zoo: every method cross-validated, with figures')
    .requiredOption('--out <dir>', 'report directory to write (new, empty, or an earlier report, which is replaced)')
    .option('--model <file>', "also apply this model file (from epochgraph fit) and show its feature importances; its window and layout are the report's defaults")
    .option('--replay <file>', 'also show a pruning replay of the zoo (written by epochgraph prune-replay --json): compute saved against regret, per policy')
    .option('--quiet', 'print only the path of the report');
  addEvaluationOptions(command, ['epochs', 'layout', 'folds', 'seed', 'classes', 'workers'])
    .addHelpText(
      'after',
      `
The report (DIR/index.html, viewable offline) shows the metrics of every method on all runs and
on the runs that learned, predicted vs actual final accuracy, feature importances, learning curves
coloured by prediction, per-layer graph properties over the window, and one network up close.
Figures are written as SVG and PNG under DIR/figures; every number is in DIR/report.json.
Examples:
  epochgraph report zoo --out zoo-report
  epochgraph report zoo --epochs 0-2 --folds 10 --out zoo-report
  epochgraph report test-zoo --model model.json --out test-report
  epochgraph prune-replay zoo --json > replay.json && epochgraph report zoo --replay replay.json --out zoo-report`,
    )
    .action(async (zoos: string[], options: EvaluationFlags & { out: string; model?: string; replay?: string; quiet?: boolean }) => {
      const spec = specFromFlags(options);
      const model = options.model === undefined ? undefined : await readModelFile(options.model);
      const replay = options.replay === undefined ? undefined : await readReplayFile(options.replay);
      const live = new LiveBlock();
      const started = performance.now();
      // The renderer (vega, resvg) loads only for the commands that draw.
      const { reportZoo } = await import('../../report/zoo-report.js');
      const summary = await reportZoo({
        zoos,
        spec,
        model,
        replay,
        workers: workersFromFlags(options),
        outDir: options.out,
        onProgress: (stage, done, total, detail) => {
          if (!options.quiet) live.update([`${STAGES[stage]} ${bar(done / total)} ${done}/${total} ${detail}`]);
        },
      });
      live.clear();
      if (!options.quiet) {
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`${summary.figures.length} figures; featured method ${summary.featuredMethod}, close-up of ${summary.featuredRun} (${seconds} s)`);
      }
      console.log(summary.index);
    });
}
