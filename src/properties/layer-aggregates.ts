/**
 * Per-layer aggregates of a per-node property: count, sum, mean, population standard
 * deviation, min and max over each node layer, the summaries the method feeds its
 * regressor. Two-pass (mean, then squared deviations) in float64, which avoids the
 * cancellation of the one-pass sum-of-squares formula.
 *
 * Reference: T. F. Chan, G. H. Golub, R. J. LeVeque, Algorithms for computing the sample
 * variance: analysis and recommendations, Am. Statistician 37 (1983) 242-247.
 */
import type { Graph } from '../graph/graph.js';
import { PropertyError } from './errors.js';

/** No options; kept for the uniform module shape. */
export const DEFAULTS = Object.freeze({});

/** Summary statistics of one property over one layer's nodes. */
export interface Aggregate {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** Aggregates `values[offset .. offset + size - 1]`. */
export function aggregate(values: Float64Array, offset: number, size: number): Aggregate {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let v = offset; v < offset + size; v++) {
    const x = values[v];
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / size;
  let squares = 0;
  for (let v = offset; v < offset + size; v++) squares += (values[v] - mean) ** 2;
  return { count: size, sum, mean, std: Math.sqrt(squares / size), min, max };
}

/**
 * Returns one aggregate per node layer of `graph`, in layer order.
 * Throws `PropertyError` when `values` does not have one entry per node.
 */
export function layerAggregates(graph: Graph, values: Float64Array): Aggregate[] {
  if (values.length !== graph.nodeCount) {
    throw new PropertyError('layer-aggregates', `${values.length} values for a graph of ${graph.nodeCount} nodes`);
  }
  return graph.layers.map((layer) => aggregate(values, layer.offset, layer.size));
}
