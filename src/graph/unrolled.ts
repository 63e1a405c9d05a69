/**
 * The unrolled graph, for comparison with the rolled one and for small networks: a node
 * per neuron at every spatial position, each conv weight repeated as an edge at every
 * position where the kernel applies (weight |W[i, j, ky, kx]|; taps that fall on zero
 * padding have no edge). Dense edges are |W[i, f]|, from the flattened node f (PyTorch's
 * channel, row, column order). Pooling layers get nodes of their own here, one per output
 * position, reading their window with weight 1 (max) or 1 / window area (average; PyTorch's
 * count_include_pad divisor kh * kw, or the window size of an adaptive pool). Identity
 * shortcuts join position p of channel c to position p of channel c. Folded batch-norm
 * scales apply as in the rolled graph. LeNet-5 on 3 x 32 x 32: 11,166 nodes, 658,024 edges.
 *
 * Stored as CSR (csr.ts), float64 weights. Needs spatial sizes: an architecture spec whose
 * input layer has a `size`. Refuses graphs above a size limit before allocating anything.
 */
import { CsrAdjacency } from './csr.js';
import { LimitError } from '../errors.js';
import { GraphError, NonFiniteWeightsError } from './errors.js';
import { layersOf, memoryTensors, planFor } from './graph.js';
import type { Graph, GraphLayer, GraphOptions, GraphSource } from './graph.js';
import type { GraphPlan, PlanGroup, PlanOp, PoolOp, WeightValues } from './plan.js';

/** Options of `buildUnrolledGraph`. */
export interface UnrolledGraphOptions extends GraphOptions {
  /** Refuse graphs with more edges (about 12 bytes each in memory). */
  readonly maxEdges?: number;
  /** Refuse graphs with more nodes. */
  readonly maxNodes?: number;
}

/** Defaults of `UnrolledGraphOptions`. */
export const DEFAULTS = Object.freeze({
  maxEdges: 20_000_000,
  maxNodes: 5_000_000,
});

/** Node and edge counts of an unrolled graph. */
export interface GraphSize {
  readonly nodes: number;
  readonly edges: number;
}

/** Input positions [first, last) read by output position `o` along one axis, clipped to the input. */
function window(o: number, size: number, outSize: number, op: PoolOp, axis: 0 | 1): [number, number] {
  if (op.output) return [Math.floor((o * size) / outSize), Math.ceil(((o + 1) * size) / outSize)];
  const first = o * op.stride[axis] - op.padding[axis];
  return [Math.max(0, first), Math.min(size, first + op.kernel[axis])];
}

/** Number of in-bounds kernel taps summed over all output positions along one axis. */
function convTaps(size: number, outSize: number, kernel: number, stride: number, padding: number, dilation: number): number {
  let taps = 0;
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < kernel; k++) {
      const i = o * stride - padding + k * dilation;
      if (i >= 0 && i < size) taps++;
    }
  }
  return taps;
}

function spatialOf(group: PlanGroup): [number, number] {
  return group.spatial ?? [1, 1];
}

/** Exact edge count of one op. */
function opEdges(op: PlanOp, layer: GraphLayer): number {
  const [h, w] = spatialOf(op.src);
  const [oh, ow] = spatialOf(op.dst);
  switch (op.kind) {
    case 'conv': {
      const [out, perGroup, kh, kw] = op.shape;
      const taps =
        convTaps(h, oh, kh, op.stride[0], op.padding[0], op.dilation[0]) * convTaps(w, ow, kw, op.stride[1], op.padding[1], op.dilation[1]);
      return out * perGroup * taps;
    }
    case 'dense':
      return op.shape[0] * op.shape[1];
    case 'identity':
      return layer.size;
    case 'pool': {
      let rows = 0;
      let cols = 0;
      for (let y = 0; y < oh; y++) {
        const [a, b] = window(y, h, oh, op, 0);
        rows += b - a;
      }
      for (let x = 0; x < ow; x++) {
        const [a, b] = window(x, w, ow, op, 1);
        cols += b - a;
      }
      return op.dst.channels * rows * cols;
    }
  }
}

function sizeOf(plan: GraphPlan, layers: readonly GraphLayer[]): GraphSize {
  const index = new Map(plan.groups.map((g, k) => [g, k]));
  const nodes = layers.reduce((n, l) => n + l.size, 0);
  const edges = plan.ops.reduce((n, op) => n + opEdges(op, layers[index.get(op.dst) as number]), 0);
  return { nodes, edges };
}

/**
 * Node and edge counts the unrolled graph of `source` would have, computed without building it.
 * Throws `GraphError` when the architecture lacks spatial sizes.
 */
export function estimateUnrolledSize(source: GraphSource, options: GraphOptions = {}): GraphSize {
  const { plan } = planFor(memoryTensors(source), options, 'unrolled');
  return sizeOf(plan, layersOf(plan, true));
}

/**
 * Writes the incoming edges of target node `local` (index within its layer) from one op at
 * `cursor`; returns the next cursor.
 */
type Emitter = (local: number, cursor: number) => number;

function emitter(op: PlanOp, from: GraphLayer, values: WeightValues | null, sources: Int32Array, weights: Float64Array): Emitter {
  const [h, w] = spatialOf(op.src);
  const [oh, ow] = spatialOf(op.dst);
  const area = oh * ow;
  const base = from.offset;
  const rowScale = op.rowScale;
  const colScale = op.colScale;
  switch (op.kind) {
    case 'conv': {
      const [out, perGroup, kh, kw] = op.shape;
      const rowsPerGroup = out / op.groups;
      const [sh, sw] = op.stride;
      const [ph, pw] = op.padding;
      const [dh, dw] = op.dilation;
      if (!values) throw new GraphError(`no data for tensor "${op.tensor}"`);
      return (local, cursor) => {
        const o = Math.floor(local / area);
        const y = Math.floor((local % area) / ow);
        const x = local % ow;
        const rs = rowScale ? rowScale[o] : 1;
        const first = Math.floor(o / rowsPerGroup) * perGroup;
        for (let j = 0; j < perGroup; j++) {
          const channel = first + j;
          const scale = rs * (colScale ? colScale[channel] : 1);
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x * sw - pw + kx * dw;
              if (ix < 0 || ix >= w) continue;
              sources[cursor] = base + (channel * h + iy) * w + ix;
              weights[cursor++] = Math.abs(values[((o * perGroup + j) * kh + ky) * kw + kx]) * scale;
            }
          }
        }
        return cursor;
      };
    }
    case 'dense': {
      const features = op.shape[1];
      if (!values) throw new GraphError(`no data for tensor "${op.tensor}"`);
      return (o, cursor) => {
        const rs = rowScale ? rowScale[o] : 1;
        for (let f = 0; f < features; f++) {
          sources[cursor] = base + f;
          weights[cursor++] = Math.abs(values[o * features + f]) * rs * (colScale ? colScale[f] : 1);
        }
        return cursor;
      };
    }
    case 'identity': {
      const perChannel = h * w;
      return (local, cursor) => {
        const c = Math.floor(local / perChannel);
        sources[cursor] = base + local;
        weights[cursor++] = (rowScale ? rowScale[c] : 1) * (colScale ? colScale[c] : 1);
        return cursor;
      };
    }
    case 'pool':
      return (local, cursor) => {
        const c = Math.floor(local / area);
        const y = Math.floor((local % area) / ow);
        const x = local % ow;
        const [y0, y1] = window(y, h, oh, op, 0);
        const [x0, x1] = window(x, w, ow, op, 1);
        const divisor = op.mode === 'max' ? 1 : op.output ? (y1 - y0) * (x1 - x0) : op.kernel[0] * op.kernel[1];
        const value = (rowScale ? rowScale[c] : 1) / divisor;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            sources[cursor] = base + (c * h + iy) * w + ix;
            weights[cursor++] = value;
          }
        }
        return cursor;
      };
  }
}

/**
 * Builds the unrolled graph of a checkpoint (or list of tensors).
 * Returns a `Graph` with a CSR adjacency. Throws `GraphError` when spatial sizes are unknown,
 * a weight is not finite, and `LimitError` when the graph would exceed `maxEdges` or
 * `maxNodes` (the message gives the estimated counts).
 */
export function buildUnrolledGraph(source: GraphSource, options: UnrolledGraphOptions = {}): Graph {
  const tensors = memoryTensors(source);
  const { plan, architecture, architectureSource } = planFor(tensors, options, 'unrolled');
  const layers = layersOf(plan, true);
  const { nodes, edges } = sizeOf(plan, layers);
  const maxEdges = options.maxEdges ?? DEFAULTS.maxEdges;
  const maxNodes = options.maxNodes ?? DEFAULTS.maxNodes;
  const size = `the unrolled graph would have ${nodes.toLocaleString('en-US')} nodes and ${edges.toLocaleString('en-US')} edges`;
  if (edges > maxEdges) throw new LimitError('graph', `${size}: too many edges`, 'maxEdges', maxEdges);
  if (nodes > maxNodes) throw new LimitError('graph', `${size}: too many nodes`, 'maxNodes', maxNodes);
  const index = new Map(plan.groups.map((g, k) => [g, k]));
  const start = new Float64Array(nodes + 1);
  const sources = new Int32Array(edges);
  const weights = new Float64Array(edges);
  const incoming: Emitter[][] = layers.map(() => []);
  for (const op of plan.ops) {
    const values = 'tensor' in op ? tensors.weight(op.tensor) : null;
    incoming[index.get(op.dst) as number].push(emitter(op, layers[index.get(op.src) as number], values, sources, weights));
  }
  let cursor = 0;
  layers.forEach((layer, l) => {
    for (let local = 0; local < layer.size; local++) {
      start[layer.offset + local] = cursor;
      for (const emit of incoming[l]) cursor = emit(local, cursor);
    }
  });
  start[nodes] = cursor;
  let total = 0;
  for (let k = 0; k < edges; k++) total += weights[k];
  if (!Number.isFinite(total)) throw new NonFiniteWeightsError('some edge weights are not finite (a diverged run?)');
  const adjacency = new CsrAdjacency(start, sources, weights);
  return { kind: 'unrolled', nodeCount: nodes, edgeCount: edges, layers, adjacency, architecture, architectureSource };
}
