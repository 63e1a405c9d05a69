/**
 * Feature blocks of a run, for the predictor and every baseline, over one epoch window:
 *
 * - `graph`: the temporal graph summary (snapshot features at every window epoch, their
 *   changes, relative change over the window, and the update between consecutive epochs);
 * - `graph-static`: snapshot features of the window's last epoch only;
 * - `curve`: the learning curve so far (train/test loss and accuracy at each epoch <= the
 *   window's end; a diverged run's last entry stands for the epochs after it);
 * - `tse`: training speed estimation (Ru et al. 2021): the sum of training losses of
 *   epochs 1..end;
 * - `lc`: the final test accuracy extrapolated from the test accuracies up to the window's
 *   end by parametric learning-curve families (curve-extrapolation.ts), with its interval;
 *   the final epoch is the configuration's `epochs`, else the last of the history;
 * - `weights`: per-tensor weight statistics of the last window snapshot (mean, variance,
 *   quantiles 0/25/50/75/100 of each layer's weights and biases; Unterthiner et al. 2020);
 * - `hyper`: the hyperparameters (log scale for rates and sizes, one-hot categories).
 *
 * Snapshots are read one at a time: a run never holds more than one checkpoint in memory
 * (and, for the update features, the previous snapshot's graph).
 * A run that diverged inside the window has no checkpoints after it: its later epochs
 * repeat the diverged snapshot. A snapshot with non-finite weights has no graph: its graph
 * features are NaN (a run with no finite snapshot in the window has no graph features).
 */
import { readCheckpoint } from '../checkpoint/open.js';
import { hyperparameterFeatures } from '../checkpoint/run-config.js';
import type { HistoryEntry, Run } from '../checkpoint/run.js';
import { tensorToFloat64 } from '../checkpoint/tensor.js';
import { EpochgraphError, RunFormatError } from '../errors.js';
import { NonFiniteWeightsError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';
import { checkpointProperties } from '../properties/compute.js';
import { updateStrength } from '../properties/update-strength.js';
import { concatArrays } from '../util/arrays.js';
import { formatEpochs } from '../util/epochs.js';
import { EXTRAPOLATION_FIELDS, extrapolationFeature, temporalFeature } from './columns.js';
import { CurveExtrapolator } from './curve-extrapolation.js';
import { SnapshotFeaturizer, keepsValues } from './snapshot.js';
import type { FeatureLayout, FeatureVector } from './snapshot.js';
import { sortedMoments, sortedQuantile } from './statistics.js';
import { temporalSummary } from './temporal.js';

/** Feature blocks, each one baseline or part of a method. */
export const FEATURE_BLOCKS = ['graph', 'graph-static', 'curve', 'tse', 'lc', 'weights', 'hyper'] as const;
export type FeatureBlock = (typeof FEATURE_BLOCKS)[number];

/** Options of `runFeatures`. */
export interface RunFeatureOptions {
  /** Epochs of the window, ascending. */
  readonly window: readonly number[];
  readonly layout: FeatureLayout;
  readonly blocks: readonly FeatureBlock[];
}

/** The checkpoint path for each window epoch (the diverged snapshot past divergence). Throws `RunFormatError` when one is missing. */
export function windowCheckpoints(run: Run, window: readonly number[]): string[] {
  const byEpoch = new Map(run.checkpoints.map((c) => [c.epoch, c.path]));
  return window.map((epoch) => {
    const diverged = run.diverged_at_epoch !== undefined && epoch > run.diverged_at_epoch;
    const path = byEpoch.get(diverged ? (run.diverged_at_epoch as number) : epoch);
    if (!path) {
      const have = run.checkpoints.map((c) => c.epoch).join(', ') || 'none';
      throw new RunFormatError(run.path, `no checkpoint for epoch ${epoch} of the window ${formatEpochs(window)} (checkpoints: ${have})`);
    }
    return path;
  });
}

/** History entries up to `end` with their epochs; a run that diverged repeats its diverged entry for the epochs after it, as its snapshots do. */
function historyUpTo(run: Run, end: number): { epoch: number; entry: HistoryEntry }[] {
  const byEpoch = new Map(run.history.map((h) => [h.epoch, h]));
  const diverged = run.diverged_at_epoch;
  const out: { epoch: number; entry: HistoryEntry }[] = [];
  for (let epoch = 0; epoch <= end; epoch++) {
    const entry = byEpoch.get(diverged !== undefined && epoch > diverged ? diverged : epoch);
    if (entry) out.push({ epoch, entry });
  }
  return out;
}

function curveFeatures(run: Run, end: number): FeatureVector {
  const names: string[] = [];
  const values: number[] = [];
  for (const { epoch, entry } of historyUpTo(run, end)) {
    for (const key of ['train_loss', 'train_acc', 'test_loss', 'test_acc'] as const) {
      names.push(temporalFeature('value', [epoch], key));
      values.push(entry[key] ?? NaN);
    }
  }
  return { names, values: Float64Array.from(values) };
}

/** The epoch whose test accuracy is the run's final one: the configuration's `epochs`, else the history's last. */
function finalEpoch(run: Run): number {
  const epochs = run.config.epochs;
  return typeof epochs === 'number' && Number.isInteger(epochs) && epochs > 0 ? epochs : (run.history.at(-1)?.epoch ?? 0);
}

/** The final test accuracy extrapolated from the test accuracies up to `end`. */
function extrapolationFeatures(run: Run, end: number): FeatureVector {
  const history = historyUpTo(run, end);
  const extrapolator = new CurveExtrapolator().fit(
    history.map((h) => h.epoch),
    history.map((h) => h.entry.test_acc ?? NaN),
  );
  const prediction = extrapolator.predict(finalEpoch(run));
  return { names: EXTRAPOLATION_FIELDS.map(extrapolationFeature), values: Float64Array.from(EXTRAPOLATION_FIELDS, (field) => prediction[field]) };
}

function tseFeatures(run: Run, end: number): FeatureVector {
  let sum = 0;
  for (const h of run.history) if (h.epoch >= 1 && h.epoch <= end) sum += h.train_loss ?? NaN;
  return { names: ['tse'], values: Float64Array.of(sum) };
}

const WEIGHT_STATS = ['mean', 'var', 'q0', 'q25', 'q50', 'q75', 'q100'] as const;

function describeWeights(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const { mean, m2 } = sortedMoments(sorted);
  return [mean, m2, ...[0, 0.25, 0.5, 0.75, 1].map((p) => sortedQuantile(sorted, p))];
}

/** Unterthiner et al.'s statistics of each weight and bias tensor (per-layer), or pooled by depth (agnostic). */
async function weightFeatures(path: string, layout: FeatureLayout): Promise<FeatureVector> {
  const { tensors } = await readCheckpoint(path);
  const parameters = tensors.filter((t) => /(^|\.)(weight|bias)$/.test(t.name) && t.shape.length > 0);
  const names: string[] = [];
  const values: number[] = [];
  const emit = (label: string, data: Float64Array) => {
    describeWeights(data).forEach((v, k) => {
      names.push(`${label}.${WEIGHT_STATS[k]}`);
      values.push(v);
    });
  };
  if (layout === 'per-layer') {
    for (const t of parameters) emit(t.name, tensorToFloat64(t));
  } else {
    // Pooled by kind (weights: tensors of rank >= 2; biases: rank 1) and relative depth.
    for (const kind of ['weight', 'bias'] as const) {
      const group = parameters.filter((t) => (kind === 'weight' ? t.shape.length >= 2 : t.shape.length === 1));
      if (group.length === 0) continue;
      const all = (list: typeof group) => concatArrays(list.map((t) => tensorToFloat64(t)), (n) => new Float64Array(n));
      emit(`first.${kind}`, all(group.slice(0, 1)));
      emit(`all.${kind}`, all(group));
      emit(`last.${kind}`, all(group.slice(-1)));
    }
  }
  return { names, values: Float64Array.from(values) };
}

/**
 * What the window blocks of a run are summarised from: the part of feature extraction that
 * reads checkpoints. Snapshot features at some epochs (null: the snapshot has no graph, its
 * weights are not finite), the features of the update into each of those epochs from the one
 * before it, and weight statistics at some epochs. Extracted once over epochs 0-4, they give
 * every window inside (0-1, 0-2, ...) without reading a checkpoint again (`windowFeatures`).
 */
export interface RunSnapshots {
  readonly layout: FeatureLayout;
  readonly graph: ReadonlyMap<number, FeatureVector | null>;
  /** By the later epoch: the update from `from` (the previous extracted epoch) into it. */
  readonly updates: ReadonlyMap<number, { readonly from: number; readonly features: FeatureVector | null }>;
  readonly weights: ReadonlyMap<number, FeatureVector>;
}

/** What `runSnapshots` extracts. */
export interface SnapshotRequest {
  readonly layout: FeatureLayout;
  /** Epochs whose graph snapshot features are extracted, ascending. */
  readonly graphEpochs: readonly number[];
  /** Also the update between each pair of consecutive `graphEpochs`. */
  readonly updates: boolean;
  /** Epochs whose weight statistics are extracted. */
  readonly weightEpochs: readonly number[];
}

/**
 * Reads the run's checkpoints for `request`, one at a time (and, for the updates, the
 * previous snapshot's graph). Returns what it extracted; throws `RunFormatError` when a
 * checkpoint is missing.
 */
export async function runSnapshots(run: Run, request: SnapshotRequest): Promise<RunSnapshots> {
  const { layout, graphEpochs, weightEpochs } = request;
  const graph = new Map<number, FeatureVector | null>();
  const updates = new Map<number, { from: number; features: FeatureVector | null }>();
  const weights = new Map<number, FeatureVector>();
  const featurizer = new SnapshotFeaturizer(layout);
  const snapshotAt = async (path: string): Promise<{ path: string; graph: Graph | null; features: FeatureVector | null }> => {
    try {
      const { graph, properties } = await checkpointProperties(path);
      return { path, graph, features: featurizer.features(graph, properties) };
    } catch (error) {
      // A diverged snapshot (NaN weights) has no graph: its features are missing, not an error.
      if (!(error instanceof NonFiniteWeightsError)) throw error;
      return { path, graph: null, features: null };
    }
  };
  const paths = windowCheckpoints(run, graphEpochs);
  // The previous snapshot's graph is kept (not its checkpoint) for the update features.
  let previous: (Awaited<ReturnType<typeof snapshotAt>> & { epoch: number }) | undefined;
  for (const [i, epoch] of graphEpochs.entries()) {
    const current = { ...(previous?.path === paths[i] ? previous : await snapshotAt(paths[i])), epoch };
    if (previous && request.updates) {
      updates.set(epoch, { from: previous.epoch, features: previous.graph && current.graph ? featurizer.updateFeatures(current.graph, updateStrength(previous.graph, current.graph)) : null });
    }
    graph.set(epoch, current.features);
    previous = current;
  }
  const weightPaths = windowCheckpoints(run, weightEpochs);
  for (const [i, epoch] of weightEpochs.entries()) weights.set(epoch, await weightFeatures(weightPaths[i], layout));
  return { layout, graph, updates, weights };
}

/**
 * The requested feature blocks of one run over `options.window`, from its snapshots
 * (for `graph`, `graph-static` and `weights`; extracted over the window or any run of
 * epochs containing it) and its history and configuration (the other blocks). Returns one
 * named vector per block; throws `EpochgraphError` when the snapshots lack a window epoch or
 * an update between consecutive window epochs.
 */
export function windowFeatures(run: Run, snapshots: RunSnapshots, options: RunFeatureOptions): Partial<Record<FeatureBlock, FeatureVector>> {
  const { window, layout, blocks } = options;
  const end = window[window.length - 1];
  const out: Partial<Record<FeatureBlock, FeatureVector>> = {};
  const wants = (b: FeatureBlock) => blocks.includes(b);
  const lacking = (what: string) => new EpochgraphError(`summary: ${run.path}: the extracted snapshots lack ${what} of the window ${formatEpochs(window)}`);
  if (snapshots.layout !== layout) throw new EpochgraphError(`summary: ${run.path}: snapshots of the ${snapshots.layout} layout cannot give ${layout} features`);
  if (wants('graph') || wants('graph-static')) {
    const needed = wants('graph') ? window : window.slice(-1);
    const filledIn = needed.map((epoch) => {
      if (!snapshots.graph.has(epoch)) throw lacking(`the graph at epoch ${epoch}`);
      return snapshots.graph.get(epoch) as FeatureVector | null;
    });
    const updates = wants('graph')
      ? window.slice(1).map((epoch, i) => {
          const update = snapshots.updates.get(epoch);
          if (update?.from !== window[i]) throw lacking(`the update from epoch ${window[i]} to ${epoch}`);
          return update.features;
        })
      : [];
    const template = filledIn.find((s) => s !== null);
    const updateTemplate = updates.find((u) => u !== null);
    const missing = (like: FeatureVector) => ({ names: like.names, values: new Float64Array(like.names.length).fill(NaN) });
    if (template) {
      const filled = filledIn.map((s) => s ?? missing(template));
      const filledUpdates = updateTemplate ? updates.map((u) => u ?? missing(updateTemplate)) : [];
      const keepValues = (name: string) => keepsValues(layout, name);
      if (wants('graph')) out.graph = temporalSummary(window, filled, { updates: filledUpdates, keepValues });
      if (wants('graph-static')) out['graph-static'] = temporalSummary(window.slice(-1), filled.slice(-1), { temporal: false, keepValues });
    }
  }
  if (wants('curve')) out.curve = curveFeatures(run, end);
  if (wants('tse')) out.tse = tseFeatures(run, end);
  if (wants('lc')) out.lc = extrapolationFeatures(run, end);
  if (wants('weights')) {
    const weights = snapshots.weights.get(end);
    if (!weights) throw lacking(`the weights at epoch ${end}`);
    out.weights = weights;
  }
  if (wants('hyper')) out.hyper = hyperparameterFeatures(run.config);
  return out;
}

/**
 * Extracts the requested feature blocks of one run: `runSnapshots` over the window (only
 * what the blocks need), then `windowFeatures`. Returns one named vector per block; throws
 * `RunFormatError` when a window checkpoint is missing.
 */
export async function runFeatures(run: Run, options: RunFeatureOptions): Promise<Partial<Record<FeatureBlock, FeatureVector>>> {
  const { window, layout, blocks } = options;
  const wants = (b: FeatureBlock) => blocks.includes(b);
  const last = window.slice(-1);
  const snapshots = await runSnapshots(run, {
    layout,
    graphEpochs: wants('graph') ? window : wants('graph-static') ? last : [],
    updates: wants('graph'),
    weightEpochs: wants('weights') ? last : [],
  });
  return windowFeatures(run, snapshots, options);
}
