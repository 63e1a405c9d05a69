/**
 * Eigenvector centrality of the undirected weighted graph: the principal eigenvector of
 * the symmetric adjacency A + A^T, scaled to unit L2 norm with non-negative entries
 * (networkx's `eigenvector_centrality_numpy` normalisation). A non-negative symmetric
 * matrix has a non-negative principal eigenvector (Perron-Frobenius); it is unique when the
 * graph is connected. Directed eigenvector centrality is not offered: on an acyclic graph
 * every eigenvalue is 0.
 *
 * Computed with Lanczos (lanczos.ts) from the uniform start vector, so results are
 * deterministic; tens of products instead of the hundreds a shifted power iteration needs
 * on these (near-)bipartite graphs.
 *
 * References:
 * - P. Bonacich, Factoring and weighting approaches to status scores and clique
 *   identification, J. Math. Sociology 2 (1972) 113-120.
 * - P. Bonacich, Power and centrality: a family of measures, Am. J. Sociology 92 (1987) 1170-1182.
 * - M. E. J. Newman, Networks: An Introduction, Oxford University Press 2010, section 7.2.
 */
import type { Graph } from '../graph/graph.js';
import { DEFAULTS as LANCZOS_DEFAULTS, largestEigenpair } from './lanczos.js';
import type { LanczosOptions } from './lanczos.js';

/** Options of `eigenvectorCentrality`: those of the Lanczos solver. */
export type EigenvectorCentralityOptions = LanczosOptions;

/** Defaults of `EigenvectorCentralityOptions`. */
export const DEFAULTS = Object.freeze({ ...LANCZOS_DEFAULTS });

/** Eigenvector centrality of every node, with the eigenvalue it belongs to. */
export interface EigenvectorCentrality {
  /** Non-negative, unit L2 norm, in node order. */
  readonly values: Float64Array;
  /** The principal eigenvalue of A + A^T: the spectral radius of the undirected graph. */
  readonly eigenvalue: number;
  /** Adjacency products used. */
  readonly products: number;
  /** ||(A + A^T) u - eigenvalue u|| of the returned vector before clipping rounding-level negatives. */
  readonly residual: number;
}

/**
 * Returns the eigenvector centrality of every node of `graph`.
 * Throws `PropertyError` if Lanczos does not converge within `maxProducts`.
 */
export function eigenvectorCentrality(graph: Graph, options: EigenvectorCentralityOptions = {}): EigenvectorCentrality {
  const adjacency = graph.adjacency;
  const pair = largestEigenpair(graph.nodeCount, (x, y) => adjacency.symmetricProduct(x, y), options);
  const values = pair.vector;
  let sum = 0;
  for (let v = 0; v < values.length; v++) sum += values[v];
  const sign = sum < 0 ? -1 : 1;
  // Entries of a Perron vector are >= 0; negatives here are rounding noise of zero entries.
  let norm = 0;
  for (let v = 0; v < values.length; v++) {
    values[v] = Math.max(0, sign * values[v]);
    norm += values[v] * values[v];
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let v = 0; v < values.length; v++) values[v] /= norm;
  return { values, eigenvalue: pair.value, products: pair.products, residual: pair.residual };
}
