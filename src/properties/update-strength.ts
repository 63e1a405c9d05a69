/**
 * Update strength: how far each node's edges moved between two snapshots of one network.
 * Two graphs of the same structure, edge weights a (earlier) and b (later), define the
 * update graph: the same edges, weighted |b(e) - a(e)|. A node's update in-strength
 * (out-strength) sums those over its incoming (outgoing) edges; divided by the node's
 * in-strength (out-strength) in the earlier snapshot it is the node's relative update, the
 * node-level form of the per-layer ratio ||W_t - W_{t-1}|| / ||W_{t-1}|| that LARS scales
 * learning rates by, and whose accumulation over training ("layer rotation") tracks
 * generalisation. Exact: one pass over both snapshots' edges (the adjacency's
 * `updateStrengths`) with float64 accumulation, and the earlier strengths.
 *
 * References:
 * - Y. You, I. Gitman, B. Ginsburg, Large batch training of convolutional networks, arXiv:1708.03888 (2017).
 * - S. Carbonnelle, C. De Vleeschouwer, Layer rotation: a surprisingly simple indicator of
 *   generalization in deep networks? ICML 2019 workshop; arXiv:1806.01603.
 */
import type { Graph } from '../graph/graph.js';

/** No options; kept for the uniform module shape. */
export const DEFAULTS = Object.freeze({});

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

/**
 * Returns the update strengths from `earlier` to `later`, two graphs of one architecture.
 * Throws `GraphError` when their structures differ.
 */
export function updateStrength(earlier: Graph, later: Graph): UpdateStrengths {
  const moved = later.adjacency.updateStrengths(earlier.adjacency);
  const before = earlier.adjacency.strengths();
  return { in: moved.in, out: moved.out, previousIn: before.in, previousOut: before.out };
}
