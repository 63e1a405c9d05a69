/**
 * Update strength: how far each node's edges moved between two snapshots of one network.
 * Two graphs of the same structure, edge weights a (earlier) and b (later), define the
 * update graph: the same edges, weighted |b(e) - a(e)|. A node's update in-strength
 * (out-strength) sums those over its incoming (outgoing) edges; divided by the node's
 * in-strength (out-strength) in the earlier snapshot it is the node's relative update, the
 * node-level form of the per-layer ratio ||W_t - W_{t-1}|| / ||W_{t-1}|| that LARS scales
 * learning rates by, and whose accumulation over training ("layer rotation") tracks
 * generalisation. Exact: one pass over the edges with float64 accumulation.
 *
 * References:
 * - Y. You, I. Gitman, B. Ginsburg, Large batch training of convolutional networks, arXiv:1708.03888 (2017).
 * - S. Carbonnelle, C. De Vleeschouwer, Layer rotation: a surprisingly simple indicator of
 *   generalization in deep networks? ICML 2019 workshop; arXiv:1806.01603.
 */
import type { Graph } from '../graph/graph.js';
import { PropertyError } from './errors.js';

/** No options; kept for the uniform module shape. */
export const DEFAULTS = {} as const;

/** Update and earlier strengths of every node, in node order. */
export interface UpdateStrengths {
  /** Sum of |b(e) - a(e)| over the node's incoming edges. */
  readonly in: Float64Array;
  /** Sum of |b(e) - a(e)| over the node's outgoing edges. */
  readonly out: Float64Array;
  /** In-strength in the earlier snapshot (sum of a(e) over incoming edges). */
  readonly previousIn: Float64Array;
  /** Out-strength in the earlier snapshot. */
  readonly previousOut: Float64Array;
}

/** The edge weights of `graph` in `forEachEdge` order (target-layer order). Returns a new array. */
export function edgeWeights(graph: Graph): Float64Array {
  const weights = new Float64Array(graph.edgeCount);
  let k = 0;
  graph.adjacency.forEachEdge((_source, _target, weight) => {
    weights[k++] = weight;
  });
  return weights;
}

/** A graph's structure: layer names and sizes, and edge count. Two graphs with equal signatures list their edges in the same order. */
function signature(graph: Graph): string {
  return `${graph.layers.map((l) => `${l.name}:${l.size}`).join('|')}#${graph.edgeCount}`;
}

/**
 * Returns the update strengths from `earlier` to `later`, two graphs of one architecture.
 * Throws `PropertyError` when their structures differ.
 */
export function updateStrength(earlier: Graph, later: Graph): UpdateStrengths {
  if (signature(earlier) !== signature(later)) {
    throw new PropertyError('update-strength', `the snapshots have different structures (${signature(earlier)} and ${signature(later)})`);
  }
  const previous = edgeWeights(earlier);
  const n = later.nodeCount;
  const updateIn = new Float64Array(n);
  const updateOut = new Float64Array(n);
  const previousIn = new Float64Array(n);
  const previousOut = new Float64Array(n);
  let k = 0;
  later.adjacency.forEachEdge((source, target, weight) => {
    const a = previous[k++];
    const d = Math.abs(weight - a);
    updateIn[target] += d;
    updateOut[source] += d;
    previousIn[target] += a;
    previousOut[source] += a;
  });
  return { in: updateIn, out: updateOut, previousIn, previousOut };
}
