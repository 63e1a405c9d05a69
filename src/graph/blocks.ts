/**
 * The adjacency of a rolled graph as a chain of dense bipartite blocks.
 *
 * A layered network's adjacency is block-structured: every nonzero block connects one
 * node layer to a later one and is dense (a |W| matrix). Storing those blocks as they
 * are, row-major, lets a product stream over them with no index arrays: per edge it reads
 * one weight, where CSR also reads a 4-byte column index.
 *
 * Memory layout: one WebAssembly memory holds, from offset 0, every block's weights
 * (float64 or float32, each block 16-byte aligned), then three float64 node vectors of
 * `nodeCount` entries used as product inputs and outputs. Block b with `groups` sub-blocks
 * of `rows x cols` stores the edge from source node `from.offset + g * cols + j` to target
 * node `to.offset + g * rows + i` at `weights[(g * rows + i) * cols + j]`: a dense layer is
 * one group, a grouped conv one group per convolution group, an identity shortcut or a
 * depthwise conv one 1 x 1 group per channel (a diagonal).
 */
import { GraphError } from './errors.js';
import type { Adjacency, GraphLayer, Strengths, SubgraphOperator } from './graph.js';
import type { BlockKernel, BlockKernels } from './wasm-kernels.js';
import { blockKernels } from './wasm-kernels.js';

/** Element type of stored edge weights. */
export type Precision = 'float64' | 'float32';

/** Shape of one block, before its weights exist. */
export interface BlockShape {
  /** The tensor the edges come from, or `identity` for a shortcut. */
  readonly tensor: string;
  /** Index of the source layer. */
  readonly from: number;
  /** Index of the target layer (greater than `from`). */
  readonly to: number;
  readonly groups: number;
  /** Target nodes per group. */
  readonly rows: number;
  /** Source nodes per group. */
  readonly cols: number;
}

/** A block with its weights: a view into the adjacency's memory, laid out as the module header says. */
export interface DenseBlock extends BlockShape {
  readonly weights: Float32Array | Float64Array;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
const VECTORS = 3;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Chain-of-blocks adjacency; fill `blocks[k].weights` before the first product. */
export class BlockAdjacency implements Adjacency {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly productBytes: number;
  readonly blocks: readonly DenseBlock[];
  private readonly sym: BlockKernel;
  private readonly fwd: BlockKernel;
  private readonly sum: BlockKernel;
  /** Byte offsets of the three node vectors. */
  private readonly slots: readonly number[];
  private readonly views: readonly Float64Array[];
  /** Byte offset of each block's weights. */
  private readonly addresses: readonly number[];
  /** Blocks grouped by target layer, for the topological sweep. */
  private readonly byTarget: readonly (readonly number[])[];

  constructor(
    private readonly layers: readonly GraphLayer[],
    shapes: readonly BlockShape[],
    precision: Precision,
  ) {
    const last = layers[layers.length - 1];
    this.nodeCount = last ? last.offset + last.size : 0;
    const elementBytes = precision === 'float64' ? 8 : 4;
    const addresses: number[] = [];
    let bytes = 0;
    let edges = 0;
    for (const s of shapes) {
      addresses.push(bytes);
      const count = s.groups * s.rows * s.cols;
      edges += count;
      bytes += align16(count * elementBytes);
    }
    const weightBytes = edges * elementBytes;
    const slots: number[] = [];
    for (let k = 0; k < VECTORS; k++) {
      slots.push(bytes);
      bytes += align16(this.nodeCount * 8);
    }
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    if (pages > MAX_PAGES) {
      throw new GraphError(`the rolled graph needs ${(bytes / 2 ** 30).toFixed(1)} GiB, above the 4 GiB the product kernels address; use precision float32`);
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages });
    } catch (error) {
      throw new GraphError(`cannot allocate ${(bytes / 1e6).toFixed(0)} MB for the rolled graph (${(error as Error).message})`);
    }
    const kernels: BlockKernels = blockKernels(memory);
    this.sym = precision === 'float64' ? kernels.sym64 : kernels.sym32;
    this.fwd = precision === 'float64' ? kernels.fwd64 : kernels.fwd32;
    this.sum = precision === 'float64' ? kernels.sum64 : kernels.sum32;
    const buffer = memory.buffer;
    this.blocks = shapes.map((s, k) => {
      const count = s.groups * s.rows * s.cols;
      const weights = precision === 'float64' ? new Float64Array(buffer, addresses[k], count) : new Float32Array(buffer, addresses[k], count);
      return { ...s, weights };
    });
    this.addresses = addresses;
    this.slots = slots;
    this.views = slots.map((offset) => new Float64Array(buffer, offset, this.nodeCount));
    this.edgeCount = edges;
    this.productBytes = weightBytes + 3 * 8 * this.nodeCount;
    const byTarget: number[][] = layers.map(() => []);
    shapes.forEach((s, k) => byTarget[s.to].push(k));
    this.byTarget = byTarget;
  }

  /**
   * Runs `kernel` over block k with the given vector slots (byte offsets of entry 0); its
   * source and target layers start at byte `from` and `to` of a slot (default: their node offsets).
   */
  private run(kernel: BlockKernel, k: number, xs: number, xd: number, ys: number, yd: number, from?: number, to?: number): void {
    const b = this.blocks[k];
    const source = from ?? this.layers[b.from].offset * 8;
    const target = to ?? this.layers[b.to].offset * 8;
    kernel(this.addresses[k], b.groups, b.rows, b.cols, xs + source, xd + target, ys + source, yd + target);
  }

  symmetricProduct(x: Float64Array, y: Float64Array): void {
    const [X, Y] = this.slots;
    this.views[0].set(x);
    this.views[1].fill(0);
    for (let k = 0; k < this.blocks.length; k++) this.run(this.sym, k, X, X, Y, Y);
    y.set(this.views[1]);
  }

  incoming(firstTarget: number, endTarget: number): SubgraphOperator {
    const blocks = this.blocksInto(firstTarget, endTarget);
    // Local layout: the layers the blocks touch, one after another, in layer order.
    const position = new Map<number, number>();
    let size = 0;
    for (const l of [...new Set(blocks.flatMap((k) => [this.blocks[k].from, this.blocks[k].to]))].sort((a, b) => a - b)) {
      position.set(l, size);
      size += this.layers[l].size;
    }
    const [X, Y] = this.slots;
    const calls = blocks.map((k) => {
      const b = this.blocks[k];
      return { k, from: (position.get(b.from) as number) * 8, to: (position.get(b.to) as number) * 8 };
    });
    return {
      size,
      edges: blocks.reduce((sum, k) => sum + this.blocks[k].weights.length, 0),
      multiply: (x: Float64Array, y: Float64Array): void => {
        this.views[0].set(x);
        this.views[1].fill(0, 0, size);
        for (const { k, from, to } of calls) this.run(this.sym, k, X, X, Y, Y, from, to);
        y.set(this.views[1].subarray(0, size));
      },
    };
  }

  /** Indices of the blocks whose target layer lies in [firstTarget, endTarget); throws `GraphError` if the range splits a layer. */
  private blocksInto(firstTarget: number, endTarget: number): number[] {
    return this.blocks.flatMap((block, k) => {
      const { offset, size } = this.layers[block.to];
      if (offset + size <= firstTarget || offset >= endTarget) return [];
      if (offset < firstTarget || offset + size > endTarget) {
        throw new GraphError(`edges into nodes [${firstTarget}, ${endTarget}) split layer ${this.layers[block.to].name}; a rolled graph's range must cover whole layers`);
      }
      return [k];
    });
  }

  strengths(): Strengths {
    const [, OUT, IN] = this.slots;
    this.views[1].fill(0);
    this.views[2].fill(0);
    for (let k = 0; k < this.blocks.length; k++) this.run(this.sum, k, 0, 0, OUT, IN);
    return { in: this.views[2].slice(), out: this.views[1].slice() };
  }

  updateStrengths(earlier: Adjacency): Strengths {
    const same =
      earlier instanceof BlockAdjacency &&
      earlier.blocks.length === this.blocks.length &&
      earlier.blocks.every((b, k) => {
        const c = this.blocks[k];
        return b.from === c.from && b.to === c.to && b.groups === c.groups && b.rows === c.rows && b.cols === c.cols;
      });
    if (!same) throw new GraphError('update strengths: the earlier adjacency has a different block structure');
    const inStrength = new Float64Array(this.nodeCount);
    const outStrength = new Float64Array(this.nodeCount);
    this.blocks.forEach((b, k) => {
      const before = earlier.blocks[k].weights;
      const w = b.weights;
      const from = this.layers[b.from].offset;
      const to = this.layers[b.to].offset;
      for (let g = 0; g < b.groups; g++) {
        for (let i = 0; i < b.rows; i++) {
          const row = (g * b.rows + i) * b.cols;
          const source = from + g * b.cols;
          let sum = 0;
          for (let j = 0; j < b.cols; j++) {
            const d = Math.abs(w[row + j] - before[row + j]);
            sum += d;
            outStrength[source + j] += d;
          }
          inStrength[to + g * b.rows + i] += sum;
        }
      }
    });
    return { in: inStrength, out: outStrength };
  }

  propagate(base: Float64Array, scale: Float64Array): Float64Array {
    const [Z, Y] = this.slots;
    const z = this.views[0];
    const y = this.views[1];
    y.set(base);
    this.layers.forEach((layer, l) => {
      for (const k of this.byTarget[l]) this.run(this.fwd, k, Z, Z, Y, Y);
      // The layer's y is final: every edge into it comes from an earlier layer.
      for (let v = layer.offset; v < layer.offset + layer.size; v++) z[v] = scale[v] * y[v];
    });
    return y.slice();
  }

  forEachEdge(visit: (source: number, target: number, weight: number) => void, firstTarget = 0, endTarget = this.nodeCount): void {
    this.layers.forEach((layer, l) => {
      if (layer.offset + layer.size <= firstTarget || layer.offset >= endTarget) return;
      for (const k of this.byTarget[l]) {
        const b = this.blocks[k];
        const from = this.layers[b.from].offset;
        const w = b.weights;
        for (let g = 0; g < b.groups; g++) {
          for (let i = 0; i < b.rows; i++) {
            const target = layer.offset + g * b.rows + i;
            if (target < firstTarget || target >= endTarget) continue;
            const row = (g * b.rows + i) * b.cols;
            for (let j = 0; j < b.cols; j++) visit(from + g * b.cols + j, target, w[row + j]);
          }
        }
      }
    });
  }
}
