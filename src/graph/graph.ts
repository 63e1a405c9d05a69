/**
 * The graph types shared by the rolled and unrolled builders, the properties and the writers.
 *
 * Node numbering: nodes are numbered layer by layer in topological order (the input first),
 * and within a layer by channel (rolled) or by channel, row, column (unrolled: node
 * `offset + (c * height + y) * width + x`, the order of PyTorch's flatten). Every edge goes
 * from a lower-numbered node to a higher-numbered one, so node order is a topological order.
 *
 * Edge direction is the forward pass: source = input side, target = output side. A[u][v] is
 * the weight of the edge u -> v; the undirected graph's adjacency is A + A^T.
 */
import type { Checkpoint, CheckpointReader } from '../checkpoint/checkpoint.js';
import type { Tensor } from '../checkpoint/tensor.js';
import { architectureFromMetadata } from './architecture-source.js';
import type { ArchitectureSpec } from './architecture.js';
import { GraphError, SPEC_HINT } from './errors.js';
import { inferArchitecture } from './infer.js';
import type { NamedShape } from './infer.js';
import { compilePlan, weightValues } from './plan.js';
import type { GraphPlan, NodeKind, PlanTensors, WeightValues } from './plan.js';

export type { NodeKind } from './plan.js';

/** A layer's nodes: a contiguous range of node indices. */
export interface GraphLayer {
  readonly name: string;
  readonly kind: NodeKind;
  /** Index of the layer's first node. */
  readonly offset: number;
  /** Number of nodes: channels (rolled) or channels x height x width (unrolled). */
  readonly size: number;
  readonly channels: number;
  /** `[height, width]` of each channel's map in an unrolled graph; null: one node per channel. */
  readonly spatial: readonly [number, number] | null;
  /** Per-channel bias (batch-norm folded in when folding is on), or null when the layer has none. */
  readonly bias: Float64Array | null;
  /** Tensors whose edges end in this layer. */
  readonly parameters: readonly string[];
}

/** In- and out-strength (weighted in- and out-degree) of every node. */
export interface Strengths {
  readonly in: Float64Array;
  readonly out: Float64Array;
}

/**
 * The adjacency B + B^T of a subgraph, on local vectors: entries index the nodes its edges
 * touch (`size` of them), so that an eigensolver's vectors are as short as the subgraph.
 */
export interface SubgraphOperator {
  readonly size: number;
  readonly edges: number;
  /** y = (B + B^T) x, both of length `size`. */
  multiply(x: Float64Array, y: Float64Array): void;
}

/**
 * The weighted adjacency of a layered DAG, with the products graph properties need.
 * Vectors are float64, one entry per node, in node order.
 */
export interface Adjacency {
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Bytes one product reads from memory: edge weights, any index arrays, and the x and y vectors. */
  readonly productBytes: number;
  /** y = (A + A^T) x: the undirected graph's adjacency times x. */
  symmetricProduct(x: Float64Array, y: Float64Array): void;
  /**
   * The undirected subgraph of the edges whose target is in [firstTarget, endTarget), as an
   * operator on local vectors (a rolled graph's range must cover whole layers).
   */
  incoming(firstTarget: number, endTarget: number): SubgraphOperator;
  /** Column sums (out) and row sums (in) of A. */
  strengths(): Strengths;
  /**
   * Strengths of the update graph from `earlier`, an adjacency of the same structure and
   * class (another snapshot of the network): column and row sums of |A - earlier|.
   * Throws `GraphError` when the structures differ.
   */
  updateStrengths(earlier: Adjacency): Strengths;
  /**
   * Solves y = base + A^T diag(scale) y, i.e. y[v] = base[v] + sum over edges u -> v of
   * A[u][v] * scale[u] * y[u], exactly, in one sweep in topological order. Returns y.
   */
  propagate(base: Float64Array, scale: Float64Array): Float64Array;
  /**
   * Calls `visit` once per edge whose target is in [firstTarget, endTarget) (default: all),
   * in target-layer order.
   */
  forEachEdge(visit: (source: number, target: number, weight: number) => void, firstTarget?: number, endTarget?: number): void;
}

/** A weighted graph of a network. */
export interface Graph {
  readonly kind: 'rolled' | 'unrolled';
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Node layers in node order. */
  readonly layers: readonly GraphLayer[];
  readonly adjacency: Adjacency;
  /** The architecture the graph was built from. */
  readonly architecture: ArchitectureSpec;
  /** Where `architecture` came from: the caller's options, the checkpoint's metadata, or inference from tensor names and shapes. */
  readonly architectureSource: ArchitectureSource;
}

/** Where a graph's architecture came from. */
export type ArchitectureSource = 'option' | 'checkpoint' | 'inferred';

/** Options shared by the rolled and unrolled builders. */
export interface GraphOptions {
  /**
   * The network's architecture; default: the one in the checkpoint's metadata
   * (`epochgraph.architecture`), else inferred from tensor names and shapes.
   */
  readonly architecture?: ArchitectureSpec;
  /** Fold batch-norm into edge weights (default true); off, batch-norm layers are ignored. */
  readonly foldBatchNorm?: boolean;
}

/** Defaults of `GraphOptions`. */
export const DEFAULTS = Object.freeze({
  foldBatchNorm: true,
});

/** Tensors to build a graph from: a checkpoint or a list of tensors. */
export type GraphSource = Checkpoint | readonly Tensor[];

/** A checkpoint as the plan compiler sees it: names and shapes in parameter order, metadata, per-channel tensors. */
export interface TensorSet extends PlanTensors {
  readonly entries: readonly NamedShape[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly path: string;
}

/** The tensors of an in-memory source, with their weights. */
export function memoryTensors(source: GraphSource): TensorSet & { weight(name: string): WeightValues } {
  const checkpoint = Array.isArray(source) ? undefined : (source as Checkpoint);
  const list = checkpoint ? checkpoint.tensors : (source as readonly Tensor[]);
  const byName = new Map(list.map((t) => [t.name, t]));
  const get = (name: string): Tensor => byName.get(name) as Tensor;
  return {
    entries: list,
    metadata: checkpoint?.metadata ?? {},
    path: checkpoint?.path ?? 'tensors',
    shape: (name) => byName.get(name)?.shape,
    vector: get,
    weight: (name) => weightValues(get(name)),
  };
}

/** The tensors of an open checkpoint: reads the one-dimensional ones now, the weights never. */
export async function readerTensors(reader: CheckpointReader): Promise<TensorSet> {
  const shapes = new Map(reader.entries.map((e) => [e.name, e.shape]));
  const vectors = new Map<string, Tensor>();
  for (const entry of reader.entries) if (entry.shape.length <= 1) vectors.set(entry.name, await reader.read(entry.name));
  return {
    entries: reader.entries,
    metadata: reader.metadata,
    path: reader.path,
    shape: (name) => shapes.get(name),
    vector: (name) => vectors.get(name) as Tensor,
  };
}

/** Compiles the plan with the architecture from the options, the checkpoint's metadata, or inference. */
export function planFor(
  tensors: TensorSet,
  options: GraphOptions,
  mode: 'rolled' | 'unrolled',
): { plan: GraphPlan; architecture: ArchitectureSpec; architectureSource: ArchitectureSource } {
  const recorded = options.architecture ? undefined : architectureFromMetadata(tensors.metadata, tensors.path);
  const architecture = options.architecture ?? recorded ?? inferArchitecture(tensors.entries);
  const architectureSource: ArchitectureSource = options.architecture ? 'option' : recorded ? 'checkpoint' : 'inferred';
  try {
    const plan = compilePlan(architecture, tensors, { mode, foldBatchNorm: options.foldBatchNorm ?? DEFAULTS.foldBatchNorm });
    return { plan, architecture, architectureSource };
  } catch (error) {
    if (architectureSource === 'inferred' && error instanceof GraphError) {
      throw new GraphError(`cannot infer the architecture: ${error.message.replace(/^graph: /, '')}; ${SPEC_HINT}`);
    }
    throw error;
  }
}

/** Node layers of a plan, numbered in order: one node per channel (rolled), or per channel and position (unrolled). */
export function layersOf(plan: GraphPlan, unrolled: boolean): GraphLayer[] {
  let offset = 0;
  return plan.groups.map((g) => {
    const size = g.channels * (unrolled && g.spatial ? g.spatial[0] * g.spatial[1] : 1);
    const layer: GraphLayer = {
      name: g.name,
      kind: g.kind,
      offset,
      size,
      channels: g.channels,
      spatial: unrolled ? g.spatial : null,
      bias: g.bias,
      parameters: g.parameters,
    };
    offset += size;
    return layer;
  });
}

/** Index of the layer holding `node` (binary search over offsets). */
export function layerOfNode(layers: readonly GraphLayer[], node: number): number {
  let lo = 0;
  let hi = layers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (layers[mid].offset <= node) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
