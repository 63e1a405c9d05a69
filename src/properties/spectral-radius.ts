/**
 * Spectral radius of the undirected weighted graph: the largest |eigenvalue| of A + A^T,
 * which for a non-negative matrix is its largest eigenvalue (Perron-Frobenius). Computed by
 * Lanczos (lanczos.ts) to relative accuracy ~ tolerance^2 (eigenvalue errors are quadratic
 * in the residual). The directed graph of a feed-forward network is acyclic: its spectral
 * radius is 0, so only the undirected one is informative.
 *
 * References:
 * - O. Perron, Zur Theorie der Matrices, Math. Ann. 64 (1907) 248-263;
 *   G. Frobenius, Ueber Matrizen aus nicht negativen Elementen, Sitzungsber. Preuss. Akad. Wiss. (1912) 456-477.
 * - C. Lanczos, J. Res. Nat. Bur. Standards 45 (1950) 255-282.
 */
import type { Graph } from '../graph/graph.js';
import { DEFAULTS as LANCZOS_DEFAULTS, largestEigenpair } from './lanczos.js';
import type { LanczosOptions } from './lanczos.js';

/** Options of `spectralRadius`: those of the Lanczos solver. */
export type SpectralRadiusOptions = LanczosOptions;

/** Defaults of `SpectralRadiusOptions`. */
export const DEFAULTS = Object.freeze({ ...LANCZOS_DEFAULTS });

/**
 * Returns the spectral radius of the undirected graph (`eigenvectorCentrality` returns the
 * same number as `eigenvalue`; use that when both are needed).
 */
export function spectralRadius(graph: Graph, options: SpectralRadiusOptions = {}): number {
  const adjacency = graph.adjacency;
  return largestEigenpair(graph.nodeCount, (x, y) => adjacency.symmetricProduct(x, y), options).value;
}
