/**
 * The general sparse path: compressed sparse rows (CSR) of incoming edges, for graphs
 * whose blocks are not dense (unrolled graphs: each conv weight repeated per position).
 *
 * Layout: the incoming edges of target node v are k = start[v] .. start[v + 1] - 1, with
 * source node `sources[k]` (< v: node order is topological) and weight `weights[k]`.
 * `start` is float64 so edge counts may pass 2^31; a product reads 12 bytes per edge.
 */
import { GraphError } from './errors.js';
import type { Adjacency, Strengths, SubgraphOperator } from './graph.js';

/** CSR adjacency over incoming edges (rows = targets). */
export class CsrAdjacency implements Adjacency {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly productBytes: number;

  constructor(
    /** `nodeCount + 1` row starts. */
    readonly start: Float64Array,
    readonly sources: Int32Array,
    readonly weights: Float64Array,
  ) {
    this.nodeCount = start.length - 1;
    this.edgeCount = sources.length;
    this.productBytes = this.edgeCount * 12 + start.byteLength + 3 * 8 * this.nodeCount;
  }

  symmetricProduct(x: Float64Array, y: Float64Array): void {
    const { start, sources, weights } = this;
    y.fill(0);
    for (let v = 0; v < this.nodeCount; v++) {
      const xv = x[v];
      let sum = 0;
      for (let k = start[v]; k < start[v + 1]; k++) {
        const u = sources[k];
        const w = weights[k];
        sum += w * x[u];
        y[u] += w * xv;
      }
      y[v] += sum;
    }
  }

  incoming(firstTarget: number, endTarget: number): SubgraphOperator {
    const first = Math.min(this.nodeCount, Math.max(0, firstTarget));
    const end = Math.max(first, Math.min(this.nodeCount, endTarget));
    const begin = this.start[first];
    const edges = this.start[end] - begin;
    // Local numbering: the targets first, then each source in order of first appearance.
    const local = new Int32Array(this.nodeCount).fill(-1);
    for (let v = first; v < end; v++) local[v] = v - first;
    let size = end - first;
    const sources = new Int32Array(edges);
    for (let k = 0; k < edges; k++) {
      const u = this.sources[begin + k];
      if (local[u] < 0) local[u] = size++;
      sources[k] = local[u];
    }
    const weights = this.weights.subarray(begin, begin + edges);
    const start = this.start;
    return {
      size,
      edges,
      multiply(x: Float64Array, y: Float64Array): void {
        y.fill(0);
        for (let v = first; v < end; v++) {
          const t = v - first;
          const xt = x[t];
          let sum = 0;
          for (let k = start[v] - begin; k < start[v + 1] - begin; k++) {
            const u = sources[k];
            const w = weights[k];
            sum += w * x[u];
            y[u] += w * xt;
          }
          y[t] += sum;
        }
      },
    };
  }

  strengths(): Strengths {
    const { start, sources, weights } = this;
    const inStrength = new Float64Array(this.nodeCount);
    const outStrength = new Float64Array(this.nodeCount);
    for (let v = 0; v < this.nodeCount; v++) {
      let sum = 0;
      for (let k = start[v]; k < start[v + 1]; k++) {
        sum += weights[k];
        outStrength[sources[k]] += weights[k];
      }
      inStrength[v] = sum;
    }
    return { in: inStrength, out: outStrength };
  }

  updateStrengths(earlier: Adjacency): Strengths {
    const same = earlier instanceof CsrAdjacency && earlier.edgeCount === this.edgeCount && earlier.start.every((s, v) => s === this.start[v]) && earlier.sources.every((u, k) => u === this.sources[k]);
    if (!same) throw new GraphError('update strengths: the earlier adjacency has a different edge structure');
    const { start, sources, weights } = this;
    const before = earlier.weights;
    const inStrength = new Float64Array(this.nodeCount);
    const outStrength = new Float64Array(this.nodeCount);
    for (let v = 0; v < this.nodeCount; v++) {
      let sum = 0;
      for (let k = start[v]; k < start[v + 1]; k++) {
        const d = Math.abs(weights[k] - before[k]);
        sum += d;
        outStrength[sources[k]] += d;
      }
      inStrength[v] = sum;
    }
    return { in: inStrength, out: outStrength };
  }

  propagate(base: Float64Array, scale: Float64Array): Float64Array {
    const { start, sources, weights } = this;
    const y = new Float64Array(this.nodeCount);
    // z[u] = scale[u] * y[u], final once u is passed (sources precede targets).
    const z = new Float64Array(this.nodeCount);
    for (let v = 0; v < this.nodeCount; v++) {
      let sum = base[v];
      for (let k = start[v]; k < start[v + 1]; k++) sum += weights[k] * z[sources[k]];
      y[v] = sum;
      z[v] = scale[v] * sum;
    }
    return y;
  }

  forEachEdge(visit: (source: number, target: number, weight: number) => void, firstTarget = 0, endTarget = this.nodeCount): void {
    const { start, sources, weights } = this;
    for (let v = Math.max(0, firstTarget); v < Math.min(endTarget, this.nodeCount); v++) {
      for (let k = start[v]; k < start[v + 1]; k++) visit(sources[k], v, weights[k]);
    }
  }
}
