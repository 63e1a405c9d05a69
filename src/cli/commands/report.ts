/**
 * `epochgraph report ZOO --out DIR`: the zoo's visual report (src/report/zoo-report.ts).
 */
import type { Command } from 'commander';
import { readModelFile } from '../../predict/model-file.js';
import type { ReportProgress } from '../../report/report.js';
import { LAYOUTS } from '../../summary/snapshot.js';
import type { FeatureLayout } from '../../summary/snapshot.js';
import { parseEpochWindow } from '../../summary/temporal.js';
import { parseChoice, parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { LiveBlock, bar } from '../progress.js';

const STAGES: Record<Parameters<ReportProgress>[0], string> = {
  features: 'features',
  evaluate: 'cross-validating',
  properties: 'graph properties',
  figures: 'figures',
};

/** Registers the command on `program`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<zoos...>', 'zoo directories (one run per subdirectory); several are reported as one')
    .description('write a self-contained HTML report of a zoo: every method cross-validated, with figures')
    .requiredOption('--out <dir>', 'report directory to write (new, empty, or an earlier report, which is replaced)')
    .option('--epochs <window>', 'epoch window the predictors see (default: the model\'s, else 0-3)')
    .option('--model <file>', 'also apply this model file (from epochgraph fit) and show its feature importances')
    .option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')} (default: the model's, else per-layer)`)
    .option('--folds <k>', 'grouped cross-validation folds', '5')
    .option('--seed <n>', 'seed of the folds and the estimators', '0')
    .option('--quiet', 'print only the path of the report')
    .addHelpText(
      'after',
      `
The report (DIR/index.html, viewable offline) shows the metrics of every method on all runs and
on non-diverged runs, predicted vs actual final accuracy, feature importances, learning curves
coloured by prediction, per-layer graph properties over the window, and one network up close.
Figures are written as SVG and PNG under DIR/figures; every number is in DIR/report.json.
Examples:
  epochgraph report zoo --out zoo-report
  epochgraph report zoo --epochs 0-2 --folds 10 --out zoo-report
  epochgraph report test-zoo --model model.json --out test-report`,
    )
    .action(async (zoos: string[], options: { out: string; epochs?: string; model?: string; layout?: string; folds: string; seed: string; quiet?: boolean }) => {
      const window = options.epochs === undefined ? undefined : parseEpochWindow(options.epochs);
      const layout = parseChoice<FeatureLayout>('--layout', options.layout, LAYOUTS);
      const folds = parsePositiveInt('--folds', options.folds);
      const seed = parseNonNegativeInt('--seed', options.seed);
      const model = options.model === undefined ? undefined : await readModelFile(options.model);
      const live = new LiveBlock();
      const started = performance.now();
      // The renderer (vega, resvg) loads only for the commands that draw.
      const { reportZoo } = await import('../../report/zoo-report.js');
      const summary = await reportZoo({
        zoos,
        window,
        layout,
        model,
        folds,
        seed,
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
