/**
 * The report of one run (`epochgraph inspect`): its settings and outcome, its learning
 * curves, the evolution of its node properties per layer, its rolled graph at epoch 0
 * and at the end of the window and, given a model file, the model's prediction of its
 * final accuracy with the interval. Written like the zoo report: `index.html`, figures,
 * `report.json`, all or nothing.
 */
import { join } from 'node:path';
import { readRun } from '../checkpoint/run.js';
import { DEFAULTS as EVALUATION_DEFAULTS } from '../predict/evaluation.js';
import { libraryVersion } from '../predict/model-file.js';
import type { ModelFile } from '../predict/model-file.js';
import { predictRuns } from '../predict/model-use.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatEpochs } from '../util/epochs.js';
import { writeFigure } from './figure.js';
import type { WrittenFigure } from './figure.js';
import type { RunPrediction } from './figures/learning-curves.js';
import { escapeHtml, factsHtml, figureHtml, pageHtml } from './html.js';
import type { Section } from './html.js';
import { checkModelWindow } from './model.js';
import { REPORT_FILE, checkOutputDir, writeDirectory } from './output-dir.js';
import { runFigures } from './run-section.js';

/** Options of `writeRunReport`. */
export interface RunReportOptions {
  /** The run directory. */
  readonly run: string;
  /** Epoch window; default: the model's, else 0-3. */
  readonly window?: readonly number[];
  /** A model file whose prediction to show; it must fit the run's architecture. */
  readonly model?: ModelFile;
  readonly outDir: string;
}

/** What `writeRunReport` wrote. */
export interface RunReportSummary {
  readonly outDir: string;
  readonly index: string;
  readonly figures: readonly WrittenFigure[];
  /** The model's prediction, when a model was given. */
  readonly prediction?: RunPrediction;
}

/** Settings shown in the summary, when the run records them. */
const SETTINGS = ['arch', 'dataset', 'optimizer', 'lr', 'momentum', 'batch_size', 'dropout', 'weight_decay', 'init', 'width', 'hidden', 'epochs', 'seed'];

/** Section headings of the run figures (their titles already name the run). */
const HEADINGS: Readonly<Record<string, string>> = {
  'run-learning-curves': 'Learning curves',
  'run-property-heatmap': 'Node properties per layer over epochs',
  'graph-drawing': 'The rolled graph',
};

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * Writes the report of one run to `options.outDir`. Returns what was written; throws
 * `EpochgraphError` for a bad run directory, a missing window checkpoint, a model of
 * another window or architecture, or an unusable output directory (untouched then).
 */
export async function writeRunReport(options: RunReportOptions): Promise<RunReportSummary> {
  const { model } = options;
  const window = options.window ?? model?.window ?? EVALUATION_DEFAULTS.window;
  if (model) checkModelWindow(model, window, model.layout);
  await checkOutputDir(options.outDir);
  const run = await readRun(options.run);
  let prediction: RunPrediction | undefined;
  if (model) {
    const [predicted] = (await predictRuns(model, [options.run])).predictions;
    prediction = { predicted: predicted.predicted, lower: predicted.lower, upper: predicted.upper, label: `model ${model.method}` };
  }
  const figures = await runFigures(run, window, prediction);

  return writeDirectory(options.outDir, async (dir) => {
    const written: WrittenFigure[] = [];
    for (const figure of figures) written.push(await writeFigure(dir, figure));
    // Hidden sizes are recorded for every run but only shape an MLP.
    const relevant = SETTINGS.filter((k) => run.config[k] !== undefined && (k !== 'hidden' || run.config.arch === 'mlp'));
    const settings = relevant.map((k) => {
      const value = run.config[k];
      return `${k} ${typeof value === 'string' ? value : JSON.stringify(value)}`;
    });
    const final = run.finalTestAcc;
    const sections: Section[] = [
      {
        id: 'summary',
        heading: 'Summary',
        html: factsHtml([
          ['run', `${run.id} (${run.path})`],
          ['settings', settings.join(', ') || 'none recorded'],
          ['final test accuracy', final === null ? 'not recorded' : `${percent(final)} after epoch ${run.history[run.history.length - 1].epoch}`],
          ['diverged', run.diverged_at_epoch === undefined ? 'no' : `at epoch ${run.diverged_at_epoch} (later epochs repeat its last snapshot)`],
          ['checkpoints', `${run.checkpoints.length} (epochs ${formatEpochs(run.checkpoints.map((c) => c.epoch))})`],
          ['epoch window', formatEpochs(window)],
        ]),
      },
      ...(prediction && model
        ? [
            {
              id: 'prediction',
              heading: 'Predicted final accuracy',
              html:
                factsHtml([
                  ['predicted', `${percent(prediction.predicted)} (${Math.round(model.pipeline.coverage * 100)}% interval ${percent(prediction.lower)} to ${percent(prediction.upper)})`],
                  ['actual', final === null ? 'not recorded' : `${percent(final)} (error ${(Math.abs(final - prediction.predicted) * 100).toFixed(1)} points)`],
                  ['model', `${model.method}, ${model.layout} features, fitted on ${model.training_runs} runs (${model.architectures.join(', ')}) over epochs ${formatEpochs(model.window)}`],
                  ['model cross-validation', `MAE ${model.cross_validation.mae.toFixed(3)}, Kendall τ ${model.cross_validation.kendall_tau.toFixed(3)}, interval coverage ${model.cross_validation.coverage.toFixed(3)} (${model.cross_validation.folds} folds)`],
                ]) + `<p class="note">The prediction uses only epochs ${formatEpochs(window)} of this run.</p>`,
            },
          ]
        : []),
      ...written.map((w, k) => ({ id: w.name, heading: HEADINGS[w.name] ?? w.title, html: figureHtml(w, k + 1) })),
    ];
    const html = pageHtml({
      title: `epochgraph run: ${run.id}`,
      lead: [`How the weight graph of ${run.id} evolved over its first epochs${prediction ? ', and what a fitted model predicts from them' : ''}.`],
      sections,
      footer: `Written by epochgraph ${escapeHtml(libraryVersion())}. The numbers are in <a href="${REPORT_FILE}">${REPORT_FILE}</a>; figures are also available as SVG (links in the captions).`,
    });
    await writeFileAtomic(join(dir, 'index.html'), html);
    const manifest = {
      format: 'epochgraph-run-report',
      version: 1,
      epochgraph_version: libraryVersion(),
      run: { id: run.id, path: run.path, config: run.config, final_test_acc: final, diverged_at_epoch: run.diverged_at_epoch ?? null },
      window: formatEpochs(window),
      prediction: prediction && model ? { method: model.method, predicted: prediction.predicted, lower: prediction.lower, upper: prediction.upper, coverage: model.pipeline.coverage } : null,
      figures: written,
    };
    await writeFileAtomic(join(dir, REPORT_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { outDir: options.outDir, index: join(options.outDir, 'index.html'), figures: written, prediction };
  });
}
