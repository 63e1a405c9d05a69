/**
 * Node strength: the weighted degree. In-strength of v = sum of the weights of the edges
 * into v, out-strength = of the edges out of v, strength = their sum (the weighted degree
 * of v in the undirected graph, the method's "weighted degree"). Exact: one pass over the
 * edges with float64 accumulation.
 *
 * Reference: A. Barrat, M. Barthelemy, R. Pastor-Satorras, A. Vespignani, The architecture
 * of complex weighted networks, PNAS 101 (2004) 3747-3752.
 */
import type { Graph } from '../graph/graph.js';

/** No options; kept for the uniform module shape. */
export const DEFAULTS = Object.freeze({});

/** In-, out- and total strength of every node, in node order. */
export interface NodeStrengths {
  readonly in: Float64Array;
  readonly out: Float64Array;
  readonly total: Float64Array;
}

/** Returns the in-, out- and total strength of every node of `graph`. */
export function strength(graph: Graph): NodeStrengths {
  const { in: inStrength, out } = graph.adjacency.strengths();
  const total = new Float64Array(graph.nodeCount);
  for (let v = 0; v < total.length; v++) total[v] = inStrength[v] + out[v];
  return { in: inStrength, out, total };
}
