/**
 * Compiles an architecture spec plus the checkpoint's tensors into a graph plan: the node
 * groups (one per conv/dense layer, the input, and in unrolled graphs each pooling layer)
 * and the edge operations between them, with batch-norm folded in as per-channel scales.
 * The rolled and unrolled builders turn a plan into edge weights.
 *
 * Batch-norm folding. A batch-norm computes s * x + t per channel with
 * s = gamma / sqrt(running_var + eps), so its graph effect is to scale edges by |s|:
 * - the incoming edges of the channel it normalises, when it follows (possibly through
 *   activations, dropout or pooling) a layer whose output nothing else reads: "fold into
 *   the preceding layer", as in a conv -> bn pair; the node's bias becomes s * (b - mean) + beta;
 * - otherwise (a pre-activation batch-norm on a value that is also read elsewhere, e.g. a
 *   residual block's input) the outgoing edges of that channel into the layers that read the
 *   normalised value: "fold into the following layer". Its shift is then not propagated to biases.
 *
 * Residual additions. An `add` produces one node group. An input branch that ends in a
 * conv/dense layer (plus batch-norm) read by nothing else is merged into that group: its
 * edges (e.g. a projection shortcut `downsample.0`) point at the add's nodes. Any other
 * input (e.g. the block input of an identity shortcut) is connected by identity edges of
 * weight 1 (times a pending batch-norm scale) from each channel to the same channel.
 */
import type { Tensor } from '../checkpoint/tensor.js';
import { tensorToFloat32, tensorToFloat64 } from '../checkpoint/tensor.js';
import type { ArchitectureSpec, LayerSpec, PoolLayerSpec } from './architecture.js';
import { layerName, pair } from './architecture.js';
import { GraphError } from './errors.js';

/** What created a node group. */
export type NodeKind = 'input' | 'conv' | 'dense' | 'add' | 'pool';

/** A set of nodes: one per channel (rolled) or per channel and position (unrolled). */
export interface PlanGroup {
  name: string;
  kind: NodeKind;
  channels: number;
  /** `[height, width]` of each channel's map in an unrolled graph; null: one node per channel. */
  spatial: [number, number] | null;
  /** Per-channel bias after row-folded batch-norm, or null when the layer has none. */
  bias: Float64Array | null;
  /** Tensors whose edges end in this group. */
  parameters: string[];
  /** Topological stamp: groups sort by it. */
  order: number;
  /** Set when an `add` merged this group into another. */
  mergedInto: PlanGroup | null;
}

/** Float weights as stored (float64 only when the file holds float64). */
export type WeightValues = Float32Array | Float64Array;

/**
 * The tensors a plan is compiled against: every tensor's shape, and the data of the
 * one-dimensional ones (biases, batch-norm parameters). Weights are read later, by the
 * builders, so that a large checkpoint can be streamed one weight at a time.
 */
export interface PlanTensors {
  /** The tensor's shape, or undefined if there is no tensor of that name. */
  shape(name: string): readonly number[] | undefined;
  /** The data of a one-dimensional tensor. */
  vector(name: string): Tensor;
}

interface OpBase {
  src: PlanGroup;
  dst: PlanGroup;
  /** Per destination channel factor |s| from batch-norms folded into this op, or null (all 1). */
  rowScale: Float64Array | null;
  /** Per source feature factor from batch-norms folded forward, or null (all 1). */
  colScale: Float64Array | null;
}

/** Conv edges: weight `[out, in / groups, ...kernel]`. */
export interface ConvOp extends OpBase {
  kind: 'conv';
  tensor: string;
  shape: readonly number[];
  groups: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Dense edges: weight `[out, channels * positions]`, `positions` > 1 after a flatten. */
export interface DenseOp extends OpBase {
  kind: 'dense';
  tensor: string;
  shape: readonly number[];
  positions: number;
}

/** Identity shortcut: channel c -> channel c (and position p -> p in unrolled graphs). */
export interface IdentityOp extends OpBase {
  kind: 'identity';
}

/** Pooling edges of an unrolled graph: each output position reads its window. */
export interface PoolOp extends OpBase {
  kind: 'pool';
  mode: 'max' | 'avg';
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  /** Output size of an adaptive pool, else null. */
  output: [number, number] | null;
}

/** One bipartite set of edges from a source group to a destination group. */
export type PlanOp = ConvOp | DenseOp | IdentityOp | PoolOp;

/** A compiled architecture: groups in topological order and the ops between them. */
export interface GraphPlan {
  readonly groups: readonly PlanGroup[];
  /** Ops in creation order; src and dst are resolved (never merged groups). */
  readonly ops: readonly PlanOp[];
}

/** Options of `compilePlan`. */
export interface PlanOptions {
  /** `unrolled`: pooling layers get nodes and spatial sizes are required. */
  readonly mode: 'rolled' | 'unrolled';
  readonly foldBatchNorm: boolean;
}

/** What flows along a spec edge while compiling. */
interface Value {
  group: PlanGroup;
  channels: number;
  spatial: [number, number] | null;
  /** `any`: the input, not yet used as maps or vector; `flat`: maps after a flatten. */
  form: 'any' | 'maps' | 'flat' | 'vector';
  /** Batch-norm scales waiting to be folded into the next layer's edges (per channel or per feature). */
  pending: Float64Array[];
  /** True when every op into `group` belongs to this value's own chain (nothing else reads it yet). */
  owned: boolean;
  /** True for the network input passed (through parameter-free layers) to this layer alone. */
  rawInput: boolean;
}

function root(group: PlanGroup): PlanGroup {
  let g = group;
  while (g.mergedInto) g = g.mergedInto;
  return g;
}

/** Float data of a weight tensor without copying float32 or float64 data. */
export function weightValues(t: Tensor): WeightValues {
  return t.dtype === 'F64' ? (t.data as Float64Array) : tensorToFloat32(t);
}

function multiplyInto(target: Float64Array | null, factor: Float64Array): Float64Array {
  if (!target) return Float64Array.from(factor);
  for (let i = 0; i < target.length; i++) target[i] *= factor[i];
  return target;
}

/**
 * Combines pending scales into one factor per source feature, or null if there are none.
 * `channels` factors broadcast over `positions` (a flatten's spatial positions).
 */
function columnScale(pending: readonly Float64Array[], channels: number, positions: number, where: string): Float64Array | null {
  if (pending.length === 0) return null;
  const features = channels * positions;
  const out = new Float64Array(features).fill(1);
  for (const factor of pending) {
    if (factor.length === features) {
      for (let f = 0; f < features; f++) out[f] *= factor[f];
    } else if (factor.length === channels) {
      for (let f = 0; f < features; f++) out[f] *= factor[Math.floor(f / positions)];
    } else {
      throw new GraphError(`${where}: a batch-norm over ${factor.length} features cannot be folded into ${features} inputs`);
    }
  }
  return out;
}

function convOutput(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Compiles `spec` against the checkpoint's tensors.
 * Returns the plan; throws `GraphError` for a missing tensor, a shape that does not fit,
 * or (unrolled) a spatial size that is not known.
 */
export function compilePlan(spec: ArchitectureSpec, tensors: PlanTensors, options: PlanOptions): GraphPlan {
  const unrolled = options.mode === 'unrolled';
  const groups: PlanGroup[] = [];
  const ops: PlanOp[] = [];
  const values = new Map<string, Value>();
  let stamp = 0;

  const names = spec.layers.map(layerName);
  const readers = new Map<string, number>();
  const inputsOf = (layer: LayerSpec, index: number): string[] =>
    layer.type === 'input' ? [] : layer.type === 'add' ? [...layer.inputs] : [layer.input ?? names[index - 1]];
  spec.layers.forEach((layer, index) => {
    for (const input of inputsOf(layer, index)) readers.set(input, (readers.get(input) ?? 0) + 1);
  });
  /** True when the layer's output is read by exactly one layer, so a fold or merge cannot affect another reader. */
  const soleReader = (name: string): boolean => readers.get(name) === 1;

  const newGroup = (name: string, kind: NodeKind, channels: number, spatial: [number, number] | null): PlanGroup => {
    const group: PlanGroup = { name, kind, channels, spatial: unrolled ? spatial : null, bias: null, parameters: [], order: stamp++, mergedInto: null };
    groups.push(group);
    return group;
  };

  spec.layers.forEach((layer, index) => {
    const name = names[index];
    const at = `layer "${name}" (${layer.type})`;
    const shapeOf = (key: string, tensorName: string): readonly number[] => {
      const shape = tensors.shape(tensorName);
      if (!shape) throw new GraphError(`${at}: ${key} tensor "${tensorName}" is not in the checkpoint`);
      return shape;
    };
    /** A per-channel tensor as float64; `length` undefined: any length. */
    const vector = (key: string, tensorName: string | undefined, length?: number): Float64Array | null => {
      if (tensorName === undefined) return null;
      const shape = shapeOf(key, tensorName);
      if (shape.length !== 1 || (length !== undefined && shape[0] !== length)) {
        throw new GraphError(`${at}: ${key} tensor "${tensorName}" has shape [${shape.join(', ')}], expected [${length ?? 'channels'}]`);
      }
      return Float64Array.from(tensorToFloat64(tensors.vector(tensorName)));
    };
    const needSpatial = (value: Value): [number, number] => {
      if (value.spatial) return value.spatial;
      throw new GraphError(`${at}: the unrolled graph needs spatial sizes: give the input layer a "size" in the architecture spec`);
    };
    const input = (): Value => values.get(inputsOf(layer, index)[0]) as Value;
    /** The value passed through a layer without nodes. */
    const passed = (value: Value, changes: Partial<Value> = {}): Value => {
      const sole = soleReader(inputsOf(layer, index)[0]);
      return { ...value, owned: value.owned && sole, rawInput: value.rawInput && sole, ...changes };
    };

    switch (layer.type) {
      case 'input': {
        const spatial = layer.size ? pair(layer.size) : null;
        const group = newGroup(name, 'input', layer.channels, spatial);
        values.set(name, { group, channels: layer.channels, spatial, form: spatial ? 'maps' : 'any', pending: [], owned: false, rawInput: true });
        break;
      }
      case 'conv': {
        const src = input();
        if (src.form === 'flat' || src.form === 'vector') throw new GraphError(`${at}: reads a vector, not feature maps`);
        const shape = shapeOf('weight', layer.weight);
        if (shape.length < 3) throw new GraphError(`${at}: weight "${layer.weight}" has shape [${shape.join(', ')}], expected [out, in / groups, ...kernel]`);
        const [out, perGroup] = shape;
        const groupCount = layer.groups ?? (perGroup > 0 && src.channels % perGroup === 0 ? src.channels / perGroup : 0);
        if (groupCount < 1 || perGroup * groupCount !== src.channels || out % groupCount !== 0) {
          throw new GraphError(`${at}: weight [${shape.join(', ')}] does not fit ${src.channels} input channels${layer.groups ? ` in ${layer.groups} groups` : ''}`);
        }
        const stride = pair(layer.stride ?? 1);
        const padding = pair(layer.padding ?? 0);
        const dilation = pair(layer.dilation ?? 1);
        let spatial: [number, number] | null = null;
        if (shape.length === 4 && src.spatial) {
          spatial = [0, 1].map((a) => convOutput(src.spatial![a], shape[2 + a], stride[a], padding[a], dilation[a])) as [number, number];
          if (spatial[0] < 1 || spatial[1] < 1) throw new GraphError(`${at}: a ${src.spatial.join('x')} input is smaller than the kernel`);
        }
        if (unrolled) {
          needSpatial(src);
          if (shape.length !== 4) throw new GraphError(`${at}: unrolled graphs support 2-D convolutions only`);
        }
        const group = newGroup(name, 'conv', out, spatial);
        group.parameters.push(layer.weight);
        group.bias = vector('bias', layer.bias, out);
        ops.push({
          kind: 'conv', src: root(src.group), dst: group, tensor: layer.weight, shape, groups: groupCount,
          stride, padding, dilation, rowScale: null, colScale: columnScale(src.pending, src.channels, 1, at),
        });
        values.set(name, { group, channels: out, spatial, form: 'maps', pending: [], owned: true, rawInput: false });
        break;
      }
      case 'dense': {
        const src = input();
        // Maps of 1 x 1 (after a global pool) are a vector already; larger ones need a flatten.
        const single = src.form === 'maps' && src.spatial !== null && src.spatial[0] * src.spatial[1] === 1;
        if (src.form === 'maps' && !single) throw new GraphError(`${at}: reads feature maps; add a flatten layer before it`);
        const shape = shapeOf('weight', layer.weight);
        if (shape.length !== 2) throw new GraphError(`${at}: weight "${layer.weight}" has shape [${shape.join(', ')}], expected [out, in]`);
        const [out, features] = shape;
        const positions = features / src.channels;
        if (!Number.isInteger(positions) || (src.form !== 'flat' && positions !== 1)) {
          throw new GraphError(`${at}: weight [${shape.join(', ')}] does not fit ${src.channels} input ${src.form === 'flat' ? 'channels' : 'features'}`);
        }
        if (src.form === 'flat' && src.spatial && src.spatial[0] * src.spatial[1] !== positions) {
          throw new GraphError(`${at}: ${features} input features do not match ${src.channels} channels of ${src.spatial.join('x')}`);
        }
        const colScale = columnScale(src.pending, src.channels, positions, at);
        const source = root(src.group);
        // An MLP flattening its raw input: every input feature is a node, as the method defines an MLP's input layer.
        const perFeature = src.rawInput && src.form === 'flat' && !source.spatial;
        if (perFeature) source.channels = features;
        const group = newGroup(name, 'dense', out, null);
        group.parameters.push(layer.weight);
        group.bias = vector('bias', layer.bias, out);
        ops.push({
          kind: 'dense', src: source, dst: group, tensor: layer.weight, shape,
          positions: perFeature ? 1 : positions, rowScale: null, colScale,
        });
        values.set(name, { group, channels: out, spatial: null, form: 'vector', pending: [], owned: true, rawInput: false });
        break;
      }
      case 'batchnorm': {
        const src = input();
        if (!options.foldBatchNorm) {
          values.set(name, passed(src));
          break;
        }
        const variance = vector('running_var', layer.running_var) as Float64Array;
        const features = variance.length;
        const g = vector('weight', layer.weight, features);
        const b = vector('bias', layer.bias, features);
        const m = vector('running_mean', layer.running_mean, features);
        const eps = layer.eps ?? 1e-5;
        const scale = new Float64Array(features);
        for (let c = 0; c < features; c++) scale[c] = (g ? g[c] : 1) / Math.sqrt(variance[c] + eps);
        const magnitude = scale.map(Math.abs);
        const through = passed(src);
        if (through.owned && features === src.channels) {
          const group = root(src.group);
          for (const op of ops) if (op.dst === group) op.rowScale = multiplyInto(op.rowScale, magnitude);
          const bias = new Float64Array(features);
          for (let c = 0; c < features; c++) bias[c] = scale[c] * ((group.bias ? group.bias[c] : 0) - (m ? m[c] : 0)) + (b ? b[c] : 0);
          group.bias = bias;
          values.set(name, through);
        } else {
          if (features !== src.channels && !(src.form === 'flat' && features % src.channels === 0)) {
            throw new GraphError(`${at}: normalises ${features} features but its input has ${src.channels} channels`);
          }
          values.set(name, { ...through, pending: [...src.pending, magnitude], owned: false });
        }
        break;
      }
      case 'pool': {
        const src = input();
        if (src.form === 'flat' || src.form === 'vector') throw new GraphError(`${at}: reads a vector, not feature maps`);
        const geometry = poolGeometry(layer);
        let spatial: [number, number] | null = geometry.output;
        if (src.spatial && !spatial) {
          const [h, w] = src.spatial;
          spatial = [
            Math.floor((h + 2 * geometry.padding[0] - geometry.kernel[0]) / geometry.stride[0]) + 1,
            Math.floor((w + 2 * geometry.padding[1] - geometry.kernel[1]) / geometry.stride[1]) + 1,
          ];
          if (spatial[0] < 1 || spatial[1] < 1) throw new GraphError(`${at}: a ${h}x${w} input is smaller than the window`);
        }
        if (!unrolled) {
          values.set(name, passed(src, { spatial, form: 'maps' }));
          break;
        }
        needSpatial(src);
        const group = newGroup(name, 'pool', src.channels, spatial);
        ops.push({ kind: 'pool', src: root(src.group), dst: group, ...geometry, rowScale: null, colScale: null });
        values.set(name, { group, channels: src.channels, spatial, form: 'maps', pending: src.pending, owned: true, rawInput: false });
        break;
      }
      case 'flatten': {
        const src = input();
        if (unrolled && src.form !== 'vector') needSpatial(src);
        values.set(name, passed(src, { form: src.form === 'vector' ? 'vector' : 'flat' }));
        break;
      }
      case 'activation':
      case 'dropout':
        values.set(name, passed(input()));
        break;
      case 'add': {
        const inputs = layer.inputs.map((n) => values.get(n) as Value);
        const { channels, spatial } = inputs[0];
        for (const v of inputs) {
          if (v.channels !== channels) throw new GraphError(`${at}: adds ${channels} and ${v.channels} channels`);
          if (spatial && v.spatial && (v.spatial[0] !== spatial[0] || v.spatial[1] !== spatial[1])) {
            throw new GraphError(`${at}: adds ${spatial.join('x')} and ${v.spatial.join('x')} maps`);
          }
        }
        const merged = inputs.filter((v, k) => v.owned && v.pending.length === 0 && soleReader(layer.inputs[k]));
        let group: PlanGroup;
        if (merged.length > 0) {
          group = root(merged[0].group);
          for (const v of merged.slice(1)) {
            const other = root(v.group);
            other.mergedInto = group;
            group.parameters.push(...other.parameters);
            if (other.bias) group.bias = group.bias ? group.bias.map((b, c) => b + other.bias![c]) : other.bias;
            for (const op of ops) if (op.dst === other) op.dst = group;
          }
          // The merged nodes exist once every branch is computed: order them after all inputs.
          group.order = stamp++;
        } else {
          group = newGroup(name, 'add', channels, spatial);
        }
        for (const v of inputs) {
          if (merged.includes(v)) continue;
          ops.push({ kind: 'identity', src: root(v.group), dst: group, rowScale: null, colScale: columnScale(v.pending, channels, 1, at) });
        }
        values.set(name, {
          group, channels, spatial: spatial ?? inputs.find((v) => v.spatial)?.spatial ?? null, form: inputs[0].form, pending: [], owned: true, rawInput: false,
        });
        break;
      }
    }
  });

  const live = groups.filter((g) => !g.mergedInto).sort((a, b) => a.order - b.order);
  return { groups: live, ops };
}

function poolGeometry(layer: PoolLayerSpec): Pick<PoolOp, 'mode' | 'kernel' | 'stride' | 'padding' | 'output'> {
  const kernel = pair(layer.kernel ?? 1);
  return {
    mode: layer.mode ?? 'max',
    kernel,
    stride: pair(layer.stride ?? kernel),
    padding: pair(layer.padding ?? 0),
    output: layer.output === undefined ? null : pair(layer.output),
  };
}
