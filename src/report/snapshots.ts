/**
 * The per-node values the property figures plot, read from a run's checkpoints: for every
 * node layer of the rolled graph, each node's eigenvector centrality and strength. A
 * snapshot keeps only these arrays, so many runs' epochs fit in memory at once.
 */
import type { Run } from '../checkpoint/run.js';
import { NonFiniteWeightsError } from '../graph/errors.js';
import { checkpointProperties } from '../properties/compute.js';
import { windowCheckpoints } from '../summary/features.js';

/** One node layer's values in one snapshot. */
export interface LayerValues {
  readonly name: string;
  /** Eigenvector centrality of each node (unit L2 norm over the whole graph). */
  readonly eigenvector: Float64Array;
  /** Strength (sum of incident edge weights, in and out) of each node. */
  readonly strength: Float64Array;
}

/** One epoch of one run. */
export interface Snapshot {
  readonly epoch: number;
  /** Nodes of the whole graph. */
  readonly nodes: number;
  readonly layers: readonly LayerValues[];
}

/** Computes a checkpoint's graph properties; returns null for non-finite weights (a diverged snapshot has no graph to show). */
export async function finiteProperties(path: string): Promise<Awaited<ReturnType<typeof checkpointProperties>> | null> {
  try {
    return await checkpointProperties(path);
  } catch (error) {
    if (error instanceof NonFiniteWeightsError) return null;
    throw error;
  }
}

/** Reads the checkpoint at `path` and returns its snapshot labelled `epoch`, or null when its weights are not finite. */
async function readSnapshot(path: string, epoch: number): Promise<Snapshot | null> {
  const computed = await finiteProperties(path);
  if (!computed) return null;
  const { graph, properties } = computed;
  return {
    epoch,
    nodes: graph.nodeCount,
    layers: graph.layers.map((layer) => ({
      name: layer.name,
      eigenvector: properties.values.eigenvector.slice(layer.offset, layer.offset + layer.size),
      strength: properties.values.strength.slice(layer.offset, layer.offset + layer.size),
    })),
  };
}

/**
 * Snapshots of `run` at the epochs of `window` (the diverged snapshot stands for epochs
 * after divergence, as in the feature table), leaving out those with non-finite weights.
 * Returns them in window order; throws
 * `RunFormatError` when a window checkpoint is missing.
 */
export async function windowSnapshots(run: Run, window: readonly number[]): Promise<Snapshot[]> {
  const paths = windowCheckpoints(run, window);
  const snapshots: Snapshot[] = [];
  for (const [i, path] of paths.entries()) {
    const snapshot = await readSnapshot(path, window[i]);
    if (snapshot) snapshots.push(snapshot);
  }
  return snapshots;
}

/**
 * The epochs to show for a whole run: every checkpoint, thinned evenly to at most `limit`
 * while always keeping the window's epochs. Returns ascending epochs that have checkpoints.
 */
export function runEpochs(run: Run, window: readonly number[], limit: number): number[] {
  const all = run.checkpoints.map((c) => c.epoch);
  if (all.length <= limit) return all;
  const keep = new Set(window.filter((e) => all.includes(e)));
  const free = Math.max(0, limit - keep.size);
  for (let k = 0; k < free; k++) keep.add(all[Math.round((k * (all.length - 1)) / Math.max(1, free - 1))]);
  return [...keep].sort((a, b) => a - b);
}

/** Snapshots of `run` at `epochs` (each must have a checkpoint), leaving out those with non-finite weights. Returns them in that order. */
export async function runSnapshots(run: Run, epochs: readonly number[]): Promise<Snapshot[]> {
  const byEpoch = new Map(run.checkpoints.map((c) => [c.epoch, c.path]));
  const snapshots: Snapshot[] = [];
  for (const epoch of epochs) {
    const snapshot = await readSnapshot(byEpoch.get(epoch) as string, epoch);
    if (snapshot) snapshots.push(snapshot);
  }
  return snapshots;
}
