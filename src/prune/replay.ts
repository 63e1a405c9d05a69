/**
 * Replaying a finished zoo as a live sweep, to measure what a pruning policy (./policy.ts)
 * would have saved and lost. Runs arrive in a seeded order; `parallel` of them train at
 * once, in lockstep, one reported epoch (one history entry) per step, and a new run
 * starts as soon as a slot is free. After each reported epoch but a run's last, the
 * policy keeps or stops the run, seeing every other started run as it stands at that
 * moment (its epochs reported so far, its prediction once its window is complete, its
 * final accuracy if it finished): what a live sweep would have seen, never the future.
 * Every policy replays the same order.
 *
 * Per policy: the epochs trained as a share of the full sweep's; the time saved, from
 * each epoch's `seconds` in run.json (or from epochs, when some run lacks them); whether
 * the zoo's best run and its top 5% (ceil(0.05 n) runs) trained to the end; the regret
 * (the zoo's best final accuracy minus the best among runs not stopped: the best the
 * sweep found); and the good runs (the top quarter by final accuracy, as the evaluation's
 * top-quarter metric) that were stopped.
 *
 * Predictions for the graph policy come from a model file as given, or are cross-fitted
 * (`crossFittedPredictions`): each run is judged by a model fitted on the other folds of
 * the evaluation's grouped folds, never on the run itself, standing for a model fitted
 * before the sweep on other runs.
 */
import { readRun } from '../checkpoint/run.js';
import type { HistoryEntry } from '../checkpoint/run.js';
import { EpochgraphError } from '../errors.js';
import { chanceLevel } from '../predict/chance.js';
import { blocksOf } from '../predict/evaluate-methods.js';
import { topQuarterCut } from '../predict/evaluate-metrics.js';
import { evaluateTables, zooFeatureTable } from '../predict/evaluation.js';
import type { EvaluationProgress, EvaluationSpec } from '../predict/evaluation.js';
import type { ModelFile } from '../predict/model-file.js';
import { fittableMethod } from '../predict/model-fit.js';
import { modelPredictions } from '../predict/model-use.js';
import type { Prediction } from '../predict/pipeline.js';
import type { FeatureTable } from '../summary/table.js';
import { readJsonFile } from '../util/json-file.js';
import { createRng, shuffleInPlace } from '../util/random.js';
import type { Observation, PredictionInterval, PrunePolicy, RunState, RunView } from './policy.js';

/** A finished run as the replay knows it. */
export interface ReplayRun {
  readonly id: string;
  /** Its history, ascending epochs; the last entry's `test_acc` is its final accuracy and must be a number. */
  readonly history: readonly HistoryEntry[];
  /** The model's prediction of its final accuracy, revealed once it reports the window's last epoch. */
  readonly prediction?: PredictionInterval;
}

/** Options of `replaySweep`. */
export interface ReplayOptions {
  /** Seed of the arrival order. */
  readonly seed: number;
  /** Runs training at once. */
  readonly parallel: number;
  /** The model window's last epoch: a run's prediction is revealed when it reports this epoch or a later one. */
  readonly windowEnd: number;
}

export const DEFAULTS: Readonly<ReplayOptions> = Object.freeze({ seed: 0, parallel: 1, windowEnd: 3 });

/** Where a stopped run was stopped, and why. */
export interface Stop {
  readonly id: string;
  readonly epoch: number;
  readonly reason: string;
}

/** What one policy did to the sweep. */
export interface PolicyOutcome {
  /** The policy's label (name and every setting). */
  readonly policy: string;
  readonly name: string;
  readonly settings: Readonly<Record<string, number>>;
  readonly runs: number;
  readonly stopped: number;
  /** Epochs trained, and the full sweep's. */
  readonly epochs: number;
  readonly full_epochs: number;
  /** epochs / full_epochs. */
  readonly epoch_share: number;
  /** Seconds trained and the full sweep's (sums of history `seconds`); null when some run lacks them. */
  readonly seconds: number | null;
  readonly full_seconds: number | null;
  /** Share of the full sweep's time saved: 1 - seconds / full_seconds, or 1 - epoch_share without seconds. */
  readonly time_saved: number;
  /** Whether a run with the zoo's best final accuracy trained to the end. */
  readonly best_survived: boolean;
  /** The top 5% of the zoo by final accuracy, and how many of them trained to the end. */
  readonly top5: number;
  readonly top5_survived: number;
  /** Best final accuracy among runs not stopped (NaN if every run was stopped), the zoo's best, and their difference. */
  readonly best_found: number;
  readonly best_in_zoo: number;
  readonly regret: number;
  /** Runs in the zoo's top quarter by final accuracy, and how many of them were stopped. */
  readonly good: number;
  readonly good_stopped: number;
  readonly stops: readonly Stop[];
}

/** A replay's results. */
export interface ReplayResult {
  /** Run ids in arrival order. */
  readonly order: readonly string[];
  readonly seed: number;
  readonly parallel: number;
  readonly window_end: number;
  /** What the time figures count: history `seconds`, or epochs when some run lacks them. */
  readonly time_basis: 'seconds' | 'epochs';
  readonly outcomes: readonly PolicyOutcome[];
}

/** The final accuracy of a replayed run. */
function finalOf(run: ReplayRun): number {
  return run.history[run.history.length - 1]?.test_acc ?? NaN;
}

/** Seconds of the entries of `history` up to `count`, or null when a trained epoch lacks them. */
function secondsOf(history: readonly HistoryEntry[], count: number): number | null {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const entry = history[i];
    if (entry.epoch === 0) continue;
    if (entry.seconds === undefined) return null;
    sum += entry.seconds;
  }
  return sum;
}

/** A run's view during the replay: what the sweep has seen of it. */
interface LiveRun extends RunView {
  state: RunState;
  readonly observations: Observation[];
  prediction?: PredictionInterval;
}

/** Replays `runs` in `order` (indices) under `policy`. Returns how many history entries each run reported, and the stops. */
function replayPolicy(runs: readonly ReplayRun[], order: readonly number[], policy: PrunePolicy, options: ReplayOptions): { reported: Uint32Array; stops: Stop[] } {
  const reported = new Uint32Array(runs.length);
  const live: LiveRun[] = runs.map((r) => ({ id: r.id, state: 'running', observations: [] }));
  const started: number[] = [];
  const active: number[] = [];
  const stops: Stop[] = [];
  let next = 0;
  while (next < order.length || active.length > 0) {
    while (active.length < options.parallel && next < order.length) {
      started.push(order[next]);
      active.push(order[next++]);
    }
    for (const index of [...active]) {
      const run = runs[index];
      const view = live[index];
      const entry = run.history[reported[index]++];
      view.observations.push({ epoch: entry.epoch, test_acc: entry.test_acc });
      if (run.prediction !== undefined && view.prediction === undefined && entry.epoch >= options.windowEnd) view.prediction = run.prediction;
      let done = reported[index] === run.history.length;
      if (done) view.state = 'finished';
      else {
        const others = started.filter((i) => i !== index).map((i) => live[i]);
        const decision = policy.decide(view, others);
        if (decision.prune) {
          view.state = 'pruned';
          stops.push({ id: run.id, epoch: entry.epoch, reason: decision.reason });
          done = true;
        }
      }
      if (done) active.splice(active.indexOf(index), 1);
    }
  }
  return { reported, stops };
}

/**
 * Replays the sweep of `runs` once per policy, all in the same seeded order, calling
 * `onPolicy` after each. Returns the order and every policy's outcome; throws
 * `EpochgraphError` for a run without a final test accuracy (it could not be scored)
 * or invalid options.
 */
export function replaySweep(
  runs: readonly ReplayRun[],
  policies: readonly PrunePolicy[],
  options: Partial<ReplayOptions> = {},
  onPolicy?: (done: number, total: number, policy: string) => void,
): ReplayResult {
  const settings = { ...DEFAULTS, ...options };
  if (!Number.isInteger(settings.parallel) || settings.parallel < 1) throw new EpochgraphError(`replay: parallel must be an integer >= 1, got ${settings.parallel}`);
  if (runs.length === 0) throw new EpochgraphError('replay: no runs to replay');
  const finals = Float64Array.from(runs, finalOf);
  const unscored = runs.find((_, i) => Number.isNaN(finals[i]));
  if (unscored) throw new EpochgraphError(`replay: run ${unscored.id} has no final test accuracy`);
  const order = shuffleInPlace(Array.from(runs, (_, i) => i), createRng(settings.seed));
  const fullSeconds = runs.reduce<number | null>((sum, r) => {
    const s = secondsOf(r.history, r.history.length);
    return sum === null || s === null ? null : sum + s;
  }, 0);
  const fullEpochs = runs.reduce((sum, r) => sum + r.history[r.history.length - 1].epoch, 0);
  const bestInZoo = Math.max(...finals);
  const byFinal = Array.from(runs, (_, i) => i).sort((a, b) => finals[b] - finals[a] || (runs[a].id < runs[b].id ? -1 : 1));
  const top5 = byFinal.slice(0, Math.ceil(0.05 * runs.length));
  const goodCut = topQuarterCut(finals);

  const outcomes = policies.map((policy, p): PolicyOutcome => {
    const { reported, stops } = replayPolicy(runs, order, policy, settings);
    onPolicy?.(p + 1, policies.length, policy.label);
    const survived = (i: number) => reported[i] === runs[i].history.length;
    let epochs = 0;
    let seconds: number | null = fullSeconds === null ? null : 0;
    let bestFound = -Infinity;
    runs.forEach((run, i) => {
      epochs += run.history[reported[i] - 1].epoch;
      if (seconds !== null) seconds += secondsOf(run.history, reported[i]) as number;
      if (survived(i)) bestFound = Math.max(bestFound, finals[i]);
    });
    const epochShare = fullEpochs > 0 ? epochs / fullEpochs : 1;
    const found = bestFound === -Infinity ? NaN : bestFound;
    return {
      policy: policy.label,
      name: policy.name,
      settings: policy.settings,
      runs: runs.length,
      stopped: stops.length,
      epochs,
      full_epochs: fullEpochs,
      epoch_share: epochShare,
      seconds,
      full_seconds: fullSeconds,
      time_saved: seconds !== null && fullSeconds !== null && fullSeconds > 0 ? 1 - seconds / fullSeconds : 1 - epochShare,
      best_survived: runs.some((_, i) => finals[i] === bestInZoo && survived(i)),
      top5: top5.length,
      top5_survived: top5.filter(survived).length,
      best_found: found,
      best_in_zoo: bestInZoo,
      regret: bestInZoo - found,
      good: runs.filter((_, i) => finals[i] >= goodCut).length,
      good_stopped: runs.filter((_, i) => finals[i] >= goodCut && !survived(i)).length,
      stops,
    };
  });
  return {
    order: order.map((i) => runs[i].id),
    seed: settings.seed,
    parallel: settings.parallel,
    window_end: settings.windowEnd,
    time_basis: fullSeconds === null ? 'epochs' : 'seconds',
    outcomes,
  };
}

/** One policy over several arrival orders: means, and how often the best run survived. */
export interface PolicySummary {
  readonly policy: string;
  readonly name: string;
  readonly orders: number;
  /** Means over the orders. */
  readonly epoch_share: number;
  readonly time_saved: number;
  readonly top5_survived: number;
  readonly good_stopped: number;
  /** Orders in which the zoo's best run trained to the end. */
  readonly best_survived: number;
  /** Mean and largest regret over the orders (NaN where every run was stopped). */
  readonly regret: number;
  readonly regret_max: number;
  readonly top5: number;
  readonly good: number;
}

/** The outcomes of replays of the same runs and policies in several orders, summarised per policy. Returns one summary per policy, in order. */
export function summarizeOrders(results: readonly ReplayResult[]): PolicySummary[] {
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return (results[0]?.outcomes ?? []).map((first, p) => {
    const all = results.map((r) => r.outcomes[p]);
    return {
      policy: first.policy,
      name: first.name,
      orders: results.length,
      epoch_share: mean(all.map((o) => o.epoch_share)),
      time_saved: mean(all.map((o) => o.time_saved)),
      top5_survived: mean(all.map((o) => o.top5_survived)),
      good_stopped: mean(all.map((o) => o.good_stopped)),
      best_survived: all.filter((o) => o.best_survived).length,
      regret: mean(all.map((o) => o.regret)),
      regret_max: Math.max(...all.map((o) => o.regret)),
      top5: first.top5,
      good: first.good,
    };
  });
}

/**
 * Out-of-fold predictions of the spec's one method on `table`: each run predicted by a
 * model fitted on the other folds of the spec's grouped folds (evaluation.ts), so no run
 * is judged by a model that saw it. Returns them in row order (NaN for runs without a
 * final accuracy); throws `OptionError` (field `method`) for a method without a model.
 */
export async function crossFittedPredictions(table: FeatureTable, spec: EvaluationSpec): Promise<Prediction> {
  fittableMethod(spec);
  const [evaluation] = (await evaluateTables(table, spec)).evaluations;
  return evaluation.predictions;
}

/** Options of `zooReplayRuns`. */
export interface ZooReplayOptions {
  /** Judge runs with this model as given; without it, predictions are cross-fitted with `spec`. */
  readonly model?: ModelFile;
  readonly onProgress?: EvaluationProgress;
}

/** The runs of a zoo ready to replay. */
export interface ZooReplay {
  readonly runs: readonly ReplayRun[];
  /** The model window's last epoch. */
  readonly windowEnd: number;
  readonly predictions: 'cross-fitted' | 'model';
  /** Chance accuracy of the runs' task. */
  readonly chance: number;
  /** Runs left out: no final test accuracy to score them by. */
  readonly skipped: readonly string[];
}

/**
 * The runs of `zoos` (pooled as one) with their histories and predictions: from
 * `options.model` as given, or cross-fitted with the spec's one method over its window.
 * Returns them; throws `RunFormatError` for a run lacking a window checkpoint,
 * `OptionError` when the runs' number of classes is unknown (field `classes`) or the
 * method has no model, `EpochgraphError` for runs that do not fit the model.
 */
export async function zooReplayRuns(zoos: readonly string[], spec: EvaluationSpec, options: ZooReplayOptions = {}): Promise<ZooReplay> {
  const { model, onProgress } = options;
  const window = model?.window ?? spec.window;
  const table = model
    ? await zooFeatureTable(zoos, { window, layout: model.layout, pipeline: { prior: model.pipeline.prior?.method ?? null } }, model.blocks, onProgress)
    : await zooFeatureTable(zoos, spec, blocksOf([fittableMethod(spec)]), onProgress);
  const chance = chanceLevel(table.configs, spec.classes);
  const predictions = model ? modelPredictions(model, table).predictions : await crossFittedPredictions(table, spec);
  const runs: ReplayRun[] = [];
  const skipped: string[] = [];
  for (const [r, dir] of table.runs.entries()) {
    const run = await readRun(dir);
    if (run.finalTestAcc === null || Number.isNaN(predictions.predicted[r])) {
      skipped.push(run.id);
      continue;
    }
    runs.push({ id: run.id, history: run.history, prediction: { predicted: predictions.predicted[r], lower: predictions.lower[r], upper: predictions.upper[r] } });
  }
  return { runs, windowEnd: window[window.length - 1], predictions: model ? 'model' : 'cross-fitted', chance, skipped };
}

/** What `epochgraph prune-replay --json` prints and `epochgraph report --replay` reads: a replay with where it came from. */
export interface ReplayFile extends ReplayResult {
  readonly zoos: readonly string[];
  /** Runs replayed. */
  readonly runs: number;
  /** Runs left out (no final accuracy). */
  readonly skipped: readonly string[];
  readonly predictions: 'cross-fitted' | 'model';
  /** Which model judged the runs for the graph policy, in words. */
  readonly judge: string;
  readonly chance: number;
  /** With several arrival orders: their seeds (the first is this file's own order) and each policy's summary over them. */
  readonly across_orders?: { readonly seeds: readonly number[]; readonly summary: readonly PolicySummary[] };
}

/** The file form of replays of `prepared` in one or more orders, the first in full (JSON writes NaN as null). */
export function replayFile(zoos: readonly string[], prepared: ZooReplay, judge: string, results: readonly ReplayResult[]): ReplayFile {
  const [first] = results;
  const across = results.length > 1 ? { across_orders: { seeds: results.map((r) => r.seed), summary: summarizeOrders(results) } } : {};
  return { zoos, runs: prepared.runs.length, skipped: prepared.skipped, predictions: prepared.predictions, judge, chance: prepared.chance, ...first, ...across };
}

/**
 * Reads a replay file (`prune-replay --json` output). Returns it, with the nulls JSON
 * wrote for NaN read back as NaN; throws `EpochgraphError` naming the file for anything
 * unreadable or malformed.
 */
export async function readReplayFile(file: string): Promise<ReplayFile> {
  const replay = (await readJsonFile(file, 'replay file')) as Partial<ReplayFile>;
  const numeric = ['epoch_share', 'time_saved', 'regret', 'best_found', 'best_in_zoo'] as const;
  const valid =
    typeof replay === 'object' && replay !== null && Array.isArray(replay.outcomes) && Array.isArray(replay.zoos) && typeof replay.judge === 'string' &&
    (replay.time_basis === 'seconds' || replay.time_basis === 'epochs') &&
    replay.outcomes.every((o) => typeof o === 'object' && o !== null && typeof o.policy === 'string' && typeof o.name === 'string' && numeric.every((k) => typeof o[k] === 'number' || o[k] === null));
  if (!valid) throw new EpochgraphError(`${file}: not a replay file (write one with epochgraph prune-replay --json)`);
  const outcomes = (replay.outcomes as PolicyOutcome[]).map((o) => ({ ...o, ...Object.fromEntries(numeric.map((k) => [k, o[k] ?? NaN])) }));
  const across = replay.across_orders;
  if (across !== undefined && !(Array.isArray(across.seeds) && Array.isArray(across.summary) && across.summary.length === outcomes.length)) {
    throw new EpochgraphError(`${file}: not a replay file (across_orders does not match its outcomes)`);
  }
  const summary = across?.summary.map((p) => ({ ...p, regret: p.regret ?? NaN, regret_max: p.regret_max ?? NaN }));
  return { ...(replay as ReplayFile), outcomes, ...(across && summary ? { across_orders: { seeds: across.seeds, summary } } : {}) };
}
