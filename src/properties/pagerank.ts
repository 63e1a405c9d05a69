/**
 * PageRank of the directed input -> output graph, as networkx.pagerank defines it: damping
 * alpha, transition probabilities proportional to out-edge weights, dangling nodes (no
 * out-weight: the output layer) spreading their mass uniformly, uniform teleport, result
 * normalised to sum 1.
 *
 * Exact, not iterative. The fixed point satisfies x = alpha P^T x + c u with u = 1/n and a
 * scalar c = alpha (dangling mass) + 1 - alpha. On an acyclic graph P^T is nilpotent, so
 * y = (I - alpha P^T)^{-1} u is found by one sweep in topological order,
 * y[v] = 1/n + alpha * sum over u -> v of w(u, v) / outStrength(u) * y[u],
 * and x = y / sum(y): summing the fixed-point equation shows c = 1 / sum(y) for every alpha
 * in [0, 1]. Cost: one pass over the edges for the out-strengths, one for the sweep.
 *
 * References:
 * - L. Page, S. Brin, R. Motwani, T. Winograd, The PageRank citation ranking: bringing
 *   order to the web, Stanford InfoLab technical report 1999-66.
 * - A. N. Langville, C. D. Meyer, Deeper inside PageRank, Internet Mathematics 1 (2004)
 *   335-380 (the linear-system formulation).
 * - A. Hagberg, D. Schult, P. Swart, Exploring network structure, dynamics, and function
 *   using NetworkX, Proc. SciPy 2008 (networkx.pagerank, the definition matched here).
 */
import type { Graph } from '../graph/graph.js';
import { PropertyError } from './errors.js';

/** Options of `pagerank`. */
export interface PageRankOptions {
  /** Damping factor in [0, 1]. */
  readonly alpha?: number;
  /** Out-strengths of the nodes, if already computed (saves one pass over the edges). */
  readonly outStrength?: Float64Array;
}

/** Defaults of `PageRankOptions`. */
export const DEFAULTS = Object.freeze({
  alpha: 0.85,
});

/**
 * Returns the PageRank of every node of `graph` (node order, sum 1).
 * Throws `PropertyError` for alpha outside [0, 1].
 */
export function pagerank(graph: Graph, options: PageRankOptions = {}): Float64Array {
  const alpha = options.alpha ?? DEFAULTS.alpha;
  if (!(alpha >= 0 && alpha <= 1)) throw new PropertyError('pagerank', `alpha must be in [0, 1], got ${alpha}`);
  const n = graph.nodeCount;
  const out = options.outStrength ?? graph.adjacency.strengths().out;
  const base = new Float64Array(n).fill(1 / n);
  const scale = new Float64Array(n);
  for (let v = 0; v < n; v++) scale[v] = out[v] > 0 ? alpha / out[v] : 0;
  const y = graph.adjacency.propagate(base, scale);
  let sum = 0;
  for (let v = 0; v < n; v++) sum += y[v];
  for (let v = 0; v < n; v++) y[v] /= sum;
  return y;
}
