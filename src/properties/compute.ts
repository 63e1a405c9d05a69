/**
 * Every property of a graph, or of a checkpoint, in one call: per-node strengths,
 * eigenvector centrality and PageRank, per-layer aggregates of each, per-layer figures of
 * the incoming weights (total, spectral radius), and graph-level figures (spectral radius,
 * total edge weight). The strengths pass is shared with PageRank
 * and one Lanczos run gives both the centrality and the spectral radius.
 */
import type { Checkpoint } from '../checkpoint/checkpoint.js';
import { readCheckpoint } from '../checkpoint/open.js';
import type { ReadCheckpointOptions } from '../checkpoint/open.js';
import type { Tensor } from '../checkpoint/tensor.js';
import type { Graph, NodeKind } from '../graph/graph.js';
import { buildRolledGraph, readRolledGraph } from '../graph/rolled.js';
import type { RolledGraphOptions } from '../graph/rolled.js';
import { buildUnrolledGraph } from '../graph/unrolled.js';
import type { UnrolledGraphOptions } from '../graph/unrolled.js';
import { eigenvectorCentrality } from './eigenvector-centrality.js';
import type { EigenvectorCentralityOptions } from './eigenvector-centrality.js';
import { aggregate } from './layer-aggregates.js';
import type { Aggregate } from './layer-aggregates.js';
import { layerSpectralRadii } from './layer-spectral-radius.js';
import type { LayerWeights } from './layer-spectral-radius.js';
import { DEFAULTS as PAGERANK_DEFAULTS, pagerank } from './pagerank.js';
import { strength } from './strength.js';

/** Options of `computeProperties`. */
export interface PropertiesOptions {
  readonly eigenvector?: EigenvectorCentralityOptions;
  /** PageRank damping factor. */
  readonly alpha?: number;
}

/** Defaults of `PropertiesOptions`. */
export const DEFAULTS = Object.freeze({
  alpha: PAGERANK_DEFAULTS.alpha,
});

/** The per-node properties, in output order. */
export const NODE_PROPERTIES = ['strengthIn', 'strengthOut', 'strength', 'eigenvector', 'pagerank'] as const;

/** Name of a per-node property. */
export type NodeProperty = (typeof NODE_PROPERTIES)[number];

/** One node layer with the aggregates of every per-node property over its nodes. */
export interface LayerProperties {
  readonly name: string;
  readonly kind: NodeKind;
  readonly offset: number;
  readonly size: number;
  readonly aggregates: Readonly<Record<NodeProperty, Aggregate>>;
  /** The layer's incoming edges: count, total weight, spectral radius (0 for the input layer). */
  readonly incoming: LayerWeights;
}

/** All properties of one graph. */
export interface GraphProperties {
  readonly kind: Graph['kind'];
  readonly nodes: number;
  readonly edges: number;
  /** Sum of all edge weights. */
  readonly totalWeight: number;
  /** Largest eigenvalue of the undirected adjacency A + A^T. */
  readonly spectralRadius: number;
  /** Adjacency products the eigenvector computation used. */
  readonly eigenvectorProducts: number;
  /** Its final residual ||(A + A^T) u - lambda u||. */
  readonly eigenvectorResidual: number;
  /** Per-node values, node order. */
  readonly values: Readonly<Record<NodeProperty, Float64Array>>;
  readonly layers: readonly LayerProperties[];
}

/**
 * Computes every property of `graph`.
 * Returns per-node values, per-layer aggregates and graph-level figures; throws
 * `PropertyError` for invalid options or if Lanczos does not converge.
 */
export function computeProperties(graph: Graph, options: PropertiesOptions = {}): GraphProperties {
  const strengths = strength(graph);
  const centrality = eigenvectorCentrality(graph, options.eigenvector);
  const ranks = pagerank(graph, { alpha: options.alpha ?? DEFAULTS.alpha, outStrength: strengths.out });
  const values: Record<NodeProperty, Float64Array> = {
    strengthIn: strengths.in,
    strengthOut: strengths.out,
    strength: strengths.total,
    eigenvector: centrality.values,
    pagerank: ranks,
  };
  let totalWeight = 0;
  for (let v = 0; v < graph.nodeCount; v++) totalWeight += strengths.in[v];
  const incoming = layerSpectralRadii(graph, strengths.in);
  const layers = graph.layers.map((layer, i) => ({
    name: layer.name,
    kind: layer.kind,
    offset: layer.offset,
    size: layer.size,
    aggregates: Object.fromEntries(NODE_PROPERTIES.map((p) => [p, aggregate(values[p], layer.offset, layer.size)])) as Record<NodeProperty, Aggregate>,
    incoming: incoming[i],
  }));
  return {
    kind: graph.kind,
    nodes: graph.nodeCount,
    edges: graph.edgeCount,
    totalWeight,
    spectralRadius: centrality.eigenvalue,
    eigenvectorProducts: centrality.products,
    eigenvectorResidual: centrality.residual,
    values,
    layers,
  };
}

/** Options of `checkpointProperties`: how to read the file, build the graph and compute. */
export interface CheckpointPropertiesOptions
  extends PropertiesOptions,
    RolledGraphOptions,
    UnrolledGraphOptions,
    Pick<ReadCheckpointOptions, 'format' | 'order'> {
  /** Use the unrolled graph instead of the rolled one. */
  readonly unrolled?: boolean;
}

/**
 * Builds the rolled (or unrolled) graph of a checkpoint (a path, or tensors already in
 * memory) and computes every property. A rolled graph is read from a path one weight at a
 * time. Returns the graph and its properties; throws `CheckpointError`, `GraphError` or
 * `PropertyError`.
 */
export async function checkpointProperties(
  source: string | Checkpoint | readonly Tensor[],
  options: CheckpointPropertiesOptions = {},
): Promise<{ graph: Graph; properties: GraphProperties }> {
  let graph: Graph;
  if (typeof source !== 'string') graph = options.unrolled ? buildUnrolledGraph(source, options) : buildRolledGraph(source, options);
  else if (options.unrolled) graph = buildUnrolledGraph(await readCheckpoint(source, { format: options.format, order: options.order }), options);
  else graph = await readRolledGraph(source, options);
  return { graph, properties: computeProperties(graph, options) };
}

/**
 * A JSON-ready copy of `properties`: typed arrays become plain arrays; per-node values are
 * included only when `nodes` is true (they are as long as the graph).
 */
export function propertiesToJson(properties: GraphProperties, nodes = false): Record<string, unknown> {
  const { values, ...rest } = properties;
  return {
    ...rest,
    ...(nodes ? { values: Object.fromEntries(NODE_PROPERTIES.map((p) => [p, Array.from(values[p])])) } : {}),
  };
}
