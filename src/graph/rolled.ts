/**
 * The rolled graph of the method (Vahedian et al., CIKM 2022): one node per input channel,
 * per conv output channel and per dense neuron; complete bipartite edges between
 * consecutive layers, weighted
 * - conv: the Frobenius (L2) norm of the kernel W[i, j, ...] (edge in channel j -> out channel i);
 * - dense: |W[i, j]|;
 * - dense after a flatten of C channels x P positions: the L2 norm of the P weights that
 *   connect channel c to neuron i;
 * - identity shortcut: 1, channel c -> channel c;
 * each times the |s| factors of folded batch-norms (see plan.ts). Norms are computed in
 * float64 and stored in the chosen precision (float64 by default: exact).
 */
import { openCheckpoint } from '../checkpoint/open.js';
import type { OpenCheckpointOptions } from '../checkpoint/open.js';
import { BlockAdjacency } from './blocks.js';
import type { BlockShape, Precision } from './blocks.js';
import { GraphError, NonFiniteWeightsError } from './errors.js';
import { layersOf, memoryTensors, planFor, readerTensors } from './graph.js';
import type { Graph, GraphOptions, GraphSource, TensorSet } from './graph.js';
import { weightValues } from './plan.js';
import type { PlanGroup, PlanOp, WeightValues } from './plan.js';

export type { Precision } from './blocks.js';

/** Options of `buildRolledGraph`. */
export interface RolledGraphOptions extends GraphOptions {
  /** Element type of the stored edge weights: float64 (exact) or float32 (half the memory and bandwidth). */
  readonly precision?: Precision;
}

/** Defaults of `RolledGraphOptions`. */
export const DEFAULTS = Object.freeze({
  precision: 'float64' as Precision,
});

function shapeOf(op: PlanOp, index: ReadonlyMap<PlanGroup, number>): BlockShape {
  const from = index.get(op.src) as number;
  const to = index.get(op.dst) as number;
  switch (op.kind) {
    case 'conv':
      return { tensor: op.tensor, from, to, groups: op.groups, rows: op.shape[0] / op.groups, cols: op.shape[1] };
    case 'dense':
      return { tensor: op.tensor, from, to, groups: 1, rows: op.shape[0], cols: op.shape[1] / op.positions };
    case 'identity':
      return { tensor: 'identity', from, to, groups: op.dst.channels, rows: 1, cols: 1 };
    case 'pool':
      throw new GraphError('pooling has no nodes in a rolled graph');
  }
}

/** Writes an op's rolled edge weights into `out` (layout of blocks.ts); returns their sum. */
function fill(op: PlanOp, w: WeightValues | null, out: Float32Array | Float64Array): number {
  const rowScale = op.rowScale;
  const colScale = op.colScale;
  let total = 0;
  switch (op.kind) {
    case 'conv': {
      const [outChannels, perGroup] = op.shape;
      const kernel = op.shape.slice(2).reduce((a, b) => a * b, 1);
      const rowsPerGroup = outChannels / op.groups;
      if (!w) throw new GraphError(`no data for tensor "${op.tensor}"`);
      for (let o = 0, e = 0; o < outChannels; o++) {
        const rs = rowScale ? rowScale[o] : 1;
        const first = Math.floor(o / rowsPerGroup) * perGroup;
        for (let j = 0; j < perGroup; j++, e++) {
          let sum = 0;
          for (let k = e * kernel, end = k + kernel; k < end; k++) sum += w[k] * w[k];
          const value = Math.sqrt(sum) * rs * (colScale ? colScale[first + j] : 1);
          out[e] = value;
          total += out[e];
        }
      }
      return total;
    }
    case 'dense': {
      const [outFeatures, features] = op.shape;
      const positions = op.positions;
      const channels = features / positions;
      if (!w) throw new GraphError(`no data for tensor "${op.tensor}"`);
      for (let o = 0; o < outFeatures; o++) {
        const rs = rowScale ? rowScale[o] : 1;
        const row = o * features;
        for (let c = 0; c < channels; c++) {
          let value: number;
          if (positions === 1) {
            value = Math.abs(w[row + c]) * (colScale ? colScale[c] : 1);
          } else {
            let sum = 0;
            for (let f = c * positions; f < (c + 1) * positions; f++) {
              const x = colScale ? w[row + f] * colScale[f] : w[row + f];
              sum += x * x;
            }
            value = Math.sqrt(sum);
          }
          out[o * channels + c] = value * rs;
          total += out[o * channels + c];
        }
      }
      return total;
    }
    case 'identity':
      for (let c = 0; c < out.length; c++) {
        out[c] = (rowScale ? rowScale[c] : 1) * (colScale ? colScale[c] : 1);
        total += out[c];
      }
      return total;
    case 'pool':
      throw new GraphError('pooling has no nodes in a rolled graph');
  }
}

/** A rolled graph whose blocks are allocated; `fill(k, weights)` writes op k's edges. */
function prepare(tensors: TensorSet, options: RolledGraphOptions): { graph: Graph; ops: readonly PlanOp[]; fill(k: number, weights: WeightValues | null): void } {
  const { plan, architecture, architectureSource } = planFor(tensors, options, 'rolled');
  const layers = layersOf(plan, false);
  const index = new Map(plan.groups.map((g, k) => [g, k]));
  const adjacency = new BlockAdjacency(
    layers,
    plan.ops.map((op) => shapeOf(op, index)),
    options.precision ?? DEFAULTS.precision,
  );
  return {
    graph: { kind: 'rolled', nodeCount: adjacency.nodeCount, edgeCount: adjacency.edgeCount, layers, adjacency, architecture, architectureSource },
    ops: plan.ops,
    fill(k, weights) {
      const op = plan.ops[k];
      // A sum of non-negative terms is finite exactly when every term is.
      if (!Number.isFinite(fill(op, weights, adjacency.blocks[k].weights))) {
        throw new NonFiniteWeightsError(`edges from ${'tensor' in op ? `tensor "${op.tensor}"` : 'a shortcut'} are not finite (a diverged run?)`);
      }
    },
  };
}

/**
 * Builds the rolled graph of a checkpoint (or list of tensors) in memory.
 * Returns a `Graph` whose adjacency is a chain of dense blocks; throws `GraphError` when the
 * architecture cannot be inferred or does not fit the tensors, or a weight is not finite.
 */
export function buildRolledGraph(source: GraphSource, options: RolledGraphOptions = {}): Graph {
  const tensors = memoryTensors(source);
  const rolled = prepare(tensors, options);
  rolled.ops.forEach((op, k) => rolled.fill(k, 'tensor' in op ? tensors.weight(op.tensor) : null));
  return rolled.graph;
}

/**
 * Reads the rolled graph of a checkpoint file, one weight tensor at a time: peak memory is
 * the graph plus the largest tensor, not the whole checkpoint. Returns the `Graph`; throws
 * `CheckpointError` for an unreadable file and `GraphError` as `buildRolledGraph` does.
 */
export async function readRolledGraph(file: string, options: RolledGraphOptions & OpenCheckpointOptions = {}): Promise<Graph> {
  const reader = await openCheckpoint(file, { format: options.format, order: options.order });
  try {
    const rolled = prepare(await readerTensors(reader), options);
    for (const [k, op] of rolled.ops.entries()) rolled.fill(k, 'tensor' in op ? weightValues(await reader.read(op.tensor)) : null);
    return rolled.graph;
  } finally {
    await reader.close();
  }
}
