/**
 * Spectral radius of each layer's incoming weights: the largest eigenvalue of the
 * undirected subgraph formed by the edges that end in the layer. That subgraph is
 * bipartite with weight block B (sources x layer nodes), so its eigenvalues are +/- the
 * singular values of B and the radius is B's largest singular value, its spectral norm
 * (of the edge magnitudes |W|, or kernel norms for a convolution). Per-layer spectral norms
 * are the layer-level figure that generalisation bounds (Bartlett et al. 2017) and
 * WeightWatcher-style analyses read; the whole graph's radius mixes every layer into one.
 * Computed with the same Lanczos solver as the graph's radius, on the layer's edges
 * gathered once into coordinate arrays.
 *
 * References:
 * - P. L. Bartlett, D. J. Foster, M. J. Telgarsky, Spectrally-normalized margin bounds for
 *   neural networks, NeurIPS 2017.
 * - C. Lanczos, J. Res. Nat. Bur. Standards 45 (1950) 255-282.
 */
import type { Graph } from '../graph/graph.js';
import type { LanczosOptions } from './lanczos.js';
import { LANCZOS_DEFAULTS, largestEigenpair } from './lanczos.js';

/** Options of `layerSpectralRadii`: those of the Lanczos solver. */
export type LayerSpectralRadiusOptions = LanczosOptions;

/** Defaults of `LayerSpectralRadiusOptions`. */
export const DEFAULTS = LANCZOS_DEFAULTS;

/** One layer's incoming edges: count, total weight and spectral radius (all 0 without incoming edges). */
export interface LayerWeights {
  readonly edges: number;
  readonly totalWeight: number;
  readonly spectralRadius: number;
}

/** Returns, for every layer of `graph` in node order, its incoming edges' count, total weight and spectral radius. */
export function layerSpectralRadii(graph: Graph, options: LayerSpectralRadiusOptions = {}): LayerWeights[] {
  return graph.layers.map((layer) => {
    // Coordinate arrays of the layer's edges; node indices stay global (vectors of nodeCount).
    const sources: number[] = [];
    const targets: number[] = [];
    const weights: number[] = [];
    let totalWeight = 0;
    graph.adjacency.forEachEdge(
      (source, target, weight) => {
        sources.push(source);
        targets.push(target);
        weights.push(weight);
        totalWeight += weight;
      },
      layer.offset,
      layer.offset + layer.size,
    );
    if (weights.length === 0) return { edges: 0, totalWeight: 0, spectralRadius: 0 };
    const from = Uint32Array.from(sources);
    const to = Uint32Array.from(targets);
    const w = Float64Array.from(weights);
    const multiply = (x: Float64Array, y: Float64Array) => {
      y.fill(0);
      for (let e = 0; e < w.length; e++) {
        y[to[e]] += w[e] * x[from[e]];
        y[from[e]] += w[e] * x[to[e]];
      }
    };
    return { edges: w.length, totalWeight, spectralRadius: largestEigenpair(graph.nodeCount, multiply, options).value };
  });
}
