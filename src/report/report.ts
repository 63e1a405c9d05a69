/**
 * The zoo report: from a zoo's feature table and its methods' cross-validated
 * evaluations (and optionally a model file), a directory with `index.html`, the figures
 * as SVG and PNG, and `report.json` with every number shown. The directory appears
 * complete or not at all (output-dir.ts).
 */
import { join } from 'node:path';
import { readRun } from '../checkpoint/run.js';
import type { Run } from '../checkpoint/run.js';
import { LEARNED_MARGIN, learnedThreshold } from '../predict/chance.js';
import type { MethodEvaluation } from '../predict/evaluate.js';
import { bestMethod } from '../predict/evaluation.js';
import type { ZooEvaluation } from '../predict/evaluation.js';
import { libraryVersion } from '../predict/model-file.js';
import type { ModelFile } from '../predict/model-file.js';
import { DEFAULTS as PIPELINE_DEFAULTS } from '../predict/pipeline.js';
import type { ReplayFile } from '../prune/replay.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatEpochs } from '../util/epochs.js';
import { writeFigure } from './figure.js';
import type { Figure, WrittenFigure } from './figure.js';
import { importanceFigure } from './figures/importance.js';
import { zooLearningCurvesFigure } from './figures/learning-curves.js';
import { methodComparisonFigure } from './figures/method-comparison.js';
import { predictedVsActualFigure } from './figures/predicted-vs-actual.js';
import { pruningFigure } from './figures/pruning.js';
import { zooPropertyEvolutionFigure } from './figures/property-evolution.js';
import type { EvolutionRun } from './figures/property-evolution.js';
import { escapeHtml, factsHtml, figureHtml, pageHtml } from './html.js';
import type { Section } from './html.js';
import { featuredMethod, fromEvaluation } from './methods.js';
import type { ReportMethod } from './methods.js';
import { metricsTableHtml } from './metrics-table.js';
import { applyModel, checkModelWindow, fitImportances, pipelineImportances } from './model.js';
import type { FeatureImportance } from './model.js';
import { REPORT_FILE, checkOutputDir, writeDirectory } from './output-dir.js';
import { runFigures } from './run-section.js';
import { windowSnapshots } from './snapshots.js';

/** Progress of report writing: a stage, how far it is, and what it is working on. */
export type ReportProgress = (stage: 'features' | 'evaluate' | 'properties' | 'figures', done: number, total: number, detail: string) => void;

/** What `writeReport` needs. */
export interface ReportInput {
  /** The zoo directory, or several joined by " + " (named in the report). */
  readonly zoo: string;
  /** The zoo's cross-validated evaluation (`evaluateZoos`): its spec, feature table and methods, in display order. */
  readonly evaluation: ZooEvaluation;
  /** A fitted model to apply to the zoo and feature; it must share the spec's window and layout, and its blocks must be in the table. */
  readonly model?: ModelFile;
  /** A pruning replay of the zoo (`epochgraph prune-replay --json`) to show. */
  readonly replay?: ReplayFile;
  /** Directory to write (absent, empty, or an earlier report, which is replaced). */
  readonly outDir: string;
  readonly onProgress?: ReportProgress;
}

/** What `writeReport` wrote. */
export interface ReportSummary {
  readonly outDir: string;
  /** Path of the page. */
  readonly index: string;
  readonly figures: readonly WrittenFigure[];
  /** The method whose predictions and model the figures feature. */
  readonly featuredMethod: string;
  /** The run shown up close. */
  readonly featuredRun: string;
}

/** A fraction as whole percent points (0.1 -> "10"). */
function percent(fraction: number): string {
  return String(Math.round(fraction * 100));
}

/** The replay's outcomes as an HTML table, one row per policy and setting. */
function replayTableHtml(replay: ReplayFile): string {
  const saved = replay.time_basis === 'seconds' ? 'time saved' : 'epochs saved';
  const share = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
  const regret = (value: number) => (Number.isNaN(value) ? 'all stopped' : value.toFixed(4));
  const summary = replay.across_orders?.summary;
  const head = summary
    ? ['policy', 'epochs trained', saved, 'best kept', 'top 5% kept', 'regret', 'worst regret', 'good stopped']
    : ['policy', 'stopped', 'epochs trained', saved, 'best kept', 'top 5% kept', 'regret', 'good stopped'];
  const cells = summary
    ? summary.map((p) => [p.policy, share(p.epoch_share), share(p.time_saved), `${p.best_survived}/${p.orders}`, `${p.top5_survived.toFixed(1)}/${p.top5}`, regret(p.regret), regret(p.regret_max), `${p.good_stopped.toFixed(1)}/${p.good}`])
    : replay.outcomes.map((o) => [o.policy, `${o.stopped}/${o.runs}`, share(o.epoch_share), share(o.time_saved), o.best_survived ? 'yes' : 'no', `${o.top5_survived}/${o.top5}`, regret(o.regret), `${o.good_stopped}/${o.good}`]);
  const rows = cells.map((row) => row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join(''));
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

/** Runs drawn in the per-architecture property figures at most (spread evenly over the zoo). */
const EVOLUTION_RUNS = 120;
/** Architectures given a property figure at most (the most common ones). */
const EVOLUTION_ARCHITECTURES = 3;

function layerSignature(run: EvolutionRun): string {
  return run.snapshots[0].layers.map((l) => `${l.name}:${l.eigenvector.length}`).join('|');
}

function architectureLabel(runs: readonly Run[]): string {
  const names = [...new Set(runs.map((r) => (typeof r.config.arch === 'string' ? r.config.arch : 'unknown')))];
  return names.join('/');
}

/** Indices of `count` rows of `total` spread evenly (all when count >= total). */
function spread(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.round((k * (total - 1)) / (count - 1)));
}

function protocolOf(evaluations: readonly MethodEvaluation[]): string {
  const folds = evaluations[0]?.chosen.length ?? 0;
  return folds > 1 ? `out of fold under grouped ${folds}-fold cross-validation (runs differing only by seed share a fold)` : 'on runs the predictor was not fitted on';
}

/**
 * Writes the zoo report to `input.outDir`. Returns what was written; throws
 * `EpochgraphError` for unusable input (an output directory that holds other files, a
 * model fitted on another window or architecture, a run lacking a window checkpoint),
 * leaving the output directory untouched.
 */
export async function writeReport(input: ReportInput): Promise<ReportSummary> {
  const { table, evaluations, chance, spec } = input.evaluation;
  const { window, layout, seed } = spec;
  const progress = input.onProgress ?? (() => undefined);
  await checkOutputDir(input.outDir);
  if (evaluations.length === 0) throw new Error('writeReport: no evaluations to report');
  if (input.model) checkModelWindow(input.model, window, layout);

  const applied = input.model ? applyModel(input.model, table, chance) : undefined;
  const methods: ReportMethod[] = [...(applied ? [applied.method] : []), ...evaluations.map(fromEvaluation)];
  const featured = featuredMethod(methods, applied?.method.name);
  // Split gains need trees: a model file whose estimator is another one (ridge) gives way to
  // trees fitted on this zoo for the same features.
  const fromModel = applied && input.model ? pipelineImportances(applied.pipeline, input.model.columns) : undefined;
  const importanceMethod = input.model?.method ?? featured.name;
  const importances: FeatureImportance[] | undefined = fromModel ?? fitImportances(table, importanceMethod, seed);
  const provenance = fromModel
    ? 'the model file given'
    : `gradient-boosted trees fitted on all ${table.runs.length} runs of this zoo` +
      (applied ? `, since the model file's ${applied.pipeline.selection.candidate} estimator has no split gains` : '');
  const protocol = protocolOf(evaluations);
  const coverage = input.model?.pipeline.coverage ?? PIPELINE_DEFAULTS.coverage;

  const runs = await Promise.all(table.runs.map((dir) => readRun(dir)));
  const evolution: (EvolutionRun & { row: number })[] = [];
  const picked = spread(runs.length, EVOLUTION_RUNS);
  for (const [k, row] of picked.entries()) {
    progress('properties', k, picked.length, runs[row].id);
    evolution.push({ row, id: runs[row].id, snapshots: await windowSnapshots(runs[row], window), finalAccuracy: table.targets[row] });
  }
  progress('properties', picked.length, picked.length, '');

  // The close-up: the best-ending run of the smallest graph, which is the easiest to draw.
  const candidates = evolution.filter((e) => Number.isFinite(e.finalAccuracy));
  const close = (candidates.length > 0 ? candidates : evolution).reduce((best, e) => {
    const nodes = e.snapshots[0].nodes;
    const bestNodes = best.snapshots[0].nodes;
    return nodes < bestNodes || (nodes === bestNodes && e.finalAccuracy > best.finalAccuracy) ? e : best;
  });
  const closeRun = runs[close.row];

  const byArchitecture = new Map<string, typeof evolution>();
  for (const e of evolution) byArchitecture.set(layerSignature(e), [...(byArchitecture.get(layerSignature(e)) ?? []), e]);
  // Lines are coloured by final accuracy: an architecture none of whose runs finished has nothing to show.
  const architectures = [...byArchitecture.values()]
    .filter((group) => group.some((e) => Number.isFinite(e.finalAccuracy)))
    .sort((a, b) => b.length - a.length)
    .slice(0, EVOLUTION_ARCHITECTURES);

  const zooFigures: Figure[] = [
    methodComparisonFigure(methods, protocol),
    predictedVsActualFigure(methods, { ids: table.ids, actual: table.targets, nearChance: learnedThreshold(chance), coverage, protocol }),
    ...(importances && importances.length > 0
      ? [importanceFigure(importances, { modelName: importanceMethod, provenance })]
      : []),
    zooLearningCurvesFigure(
      runs.map((r, i) => ({ id: r.id, history: r.history, predicted: featured.predictions.predicted[i] })),
      window,
      featured.name,
    ),
    ...architectures.map((group, k) => {
      const label = architectureLabel(group.map((e) => runs[e.row]));
      const note = evolution.length < runs.length ? `${evolution.length} of the zoo's ${runs.length} runs were sampled evenly for this figure.` : '';
      return zooPropertyEvolutionFigure(`property-evolution-${k + 1}`, label, group, window, note);
    }),
    ...(input.replay ? [pruningFigure(input.replay)] : []),
  ];
  const closePrediction = {
    predicted: featured.predictions.predicted[close.row],
    lower: featured.predictions.lower[close.row],
    upper: featured.predictions.upper[close.row],
    label: featured.name,
  };
  const closeFigures = await runFigures(closeRun, window, Number.isFinite(closePrediction.predicted) ? closePrediction : undefined);

  return writeDirectory(input.outDir, async (dir) => {
    const all = [...zooFigures, ...closeFigures];
    const written: WrittenFigure[] = [];
    for (const [k, figure] of all.entries()) {
      progress('figures', k, all.length, figure.name);
      written.push(await writeFigure(dir, figure));
    }
    progress('figures', all.length, all.length, '');
    const byName = new Map(written.map((w, k) => [w.name, { figure: w, number: k + 1 }]));
    const figure = (name: string) => {
      const entry = byName.get(name);
      return entry ? figureHtml(entry.figure, entry.number) : '';
    };

    const learned = evaluations[0].learned.n;
    const best = bestMethod(methods);
    const counts = new Map<string, number>();
    for (const r of runs) counts.set(architectureLabel([r]), (counts.get(architectureLabel([r])) ?? 0) + 1);
    const sections: Section[] = [
      {
        id: 'summary',
        heading: 'Summary',
        html:
          factsHtml([
            ['zoo', input.zoo],
            ['runs', `${table.runs.length} (${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')}); ${learned} learned (ended more than ${percent(LEARNED_MARGIN)} points above chance, ${percent(chance)}%)`],
            ['epoch window', `${formatEpochs(window)}: predictors see only these epochs`],
            ['features', `${layout} layout, ${table.columns.length} columns`],
            ['evaluation', protocol],
            ['featured method', `${featured.name}: ${featured.description}`],
            ...(best ? ([['best ranking (runs that learned)', `${best.name}, Kendall τ ${best.learned.kendall_tau.toFixed(3)}`]] as [string, string][]) : []),
          ]) +
          `<p class="note">Each method predicts a run's final test accuracy from its first epochs only; the tables and figures below compare ` +
          `those predictions with the accuracies the runs actually reached.</p>`,
      },
      {
        id: 'metrics',
        heading: 'How well each method predicts',
        html:
          figure('method-comparison') +
          `<h3>All runs</h3>${metricsTableHtml(methods, 'all', coverage)}` +
          `<h3>Runs that learned (final accuracy above ${percent(learnedThreshold(chance))}%)</h3>${metricsTableHtml(methods, 'learned', coverage)}` +
          `<p class="note">Predictions are ${escapeHtml(protocol)}. R² and MAE measure the accuracy values (MAE in accuracy points as a fraction); ` +
          `Kendall τ and Spearman ρ measure the ranking; top-25% acc. and AUC measure picking the best quarter of runs; coverage is the share of ` +
          `runs inside the ${Math.round(coverage * 100)}% prediction interval, width its mean width. Bold: best in the column (coverage: closest to ${Math.round(coverage * 100)}%). ` +
          `Hover a method for its description.</p>`,
      },
      { id: 'predicted-vs-actual', heading: 'Predicted vs actual final accuracy', html: figure('predicted-vs-actual') },
      {
        id: 'importance',
        heading: 'What the model uses',
        html: importances && importances.length > 0 ? figure('feature-importance') : `<p class="note">${escapeHtml(importanceMethod)} has no model to fit (it reads a feature as is), so no feature importances are shown.</p>`,
      },
      { id: 'learning-curves', heading: 'Learning curves', html: figure('learning-curves') },
      {
        id: 'properties',
        heading: 'Graph properties over the window',
        html:
          architectures.map((_, k) => figure(`property-evolution-${k + 1}`)).join('') +
          (byArchitecture.size > architectures.length ? `<p class="note">${byArchitecture.size - architectures.length} further architectures (less common, or without a finished run) are not shown.</p>` : ''),
      },
      ...(input.replay
        ? [
            {
              id: 'pruning',
              heading: 'Stopping runs early: compute saved and what it cost',
              html:
                figure('pruning') +
                replayTableHtml(input.replay) +
                `<p class="note">Replay of ${escapeHtml(input.replay.zoos.join(' + '))}: ${input.replay.runs} runs. Regret: the zoo's best final accuracy minus the best among runs not stopped. ` +
                `Good runs: the top quarter by final accuracy. Top 5%: the ceil(5%) best runs.</p>`,
            },
          ]
        : []),
      {
        id: 'close-up',
        heading: `One network up close: ${closeRun.id}`,
        html:
          `<p class="note">${escapeHtml(closeRun.id)} is the run that ended most accurate among those with the smallest graph. ` +
          `<code>epochgraph inspect RUN --out DIR</code> draws the same figures for any run.</p>` +
          closeFigures.map((f) => figure(f.name)).join(''),
      },
    ];
    const title = `epochgraph report: ${input.zoo}`;
    const html = pageHtml({
      title,
      lead: [`Predicting final test accuracy from the graph structure of the first ${window.length} epochs (${formatEpochs(window)}), ${table.runs.length} runs.`],
      sections,
      footer: `Written by epochgraph ${escapeHtml(libraryVersion())}. Every number shown is in <a href="${REPORT_FILE}">${REPORT_FILE}</a>; figures are also available as SVG (links in the captions).`,
    });
    await writeFileAtomic(join(dir, 'index.html'), html);
    const predictionOf = (m: ReportMethod, i: number) => ({ predicted: m.predictions.predicted[i], lower: m.predictions.lower[i], upper: m.predictions.upper[i] });
    const manifest = {
      format: 'epochgraph-report',
      version: 1,
      epochgraph_version: libraryVersion(),
      zoo: input.zoo,
      window: formatEpochs(window),
      layout,
      protocol,
      chance,
      coverage,
      featured_method: featured.name,
      featured_run: closeRun.id,
      methods: methods.map((m) => ({ name: m.name, description: m.description, ...m.metrics, learned: m.learned })),
      runs: runs.map((r, i) => ({
        id: r.id,
        path: r.path,
        final_test_acc: table.targets[i],
        diverged: table.diverged[i] === 1,
        predictions: Object.fromEntries(methods.map((m) => [m.name, predictionOf(m, i)])),
      })),
      importance: importances ? { method: importanceMethod, source: provenance, features: importances.slice(0, 100) } : null,
      pruning: input.replay ? { ...input.replay, outcomes: input.replay.outcomes.map(({ stops: _stops, ...rest }) => rest) } : null,
      figures: written,
    };
    // NaN (a metric undefined on too few runs) is written as null.
    await writeFileAtomic(join(dir, REPORT_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { outDir: input.outDir, index: join(input.outDir, 'index.html'), figures: written, featuredMethod: featured.name, featuredRun: closeRun.id };
  });
}
