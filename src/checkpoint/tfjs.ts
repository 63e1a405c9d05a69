/**
 * TensorFlow.js models: `model.json` plus binary weight shards, in both of the formats
 * tfjs reads (https://www.tensorflow.org/js/guide/save_load and tfjs-converter's README):
 * - layers format (`"format": "layers-model"`, written by `model.save()` in tfjs and by
 *   `tensorflowjs_converter --output_format tfjs_layers_model`): `modelTopology` is the
 *   Keras model config (possibly under `model_config`), weights are named
 *   `<layer>/<kernel|bias|gamma|...>`;
 * - graph format (`"format": "graph-model"`, `--output_format tfjs_graph_model`):
 *   `modelTopology.node` is a TensorFlow GraphDef in JSON; weights are the graph's constants,
 *   found through the ops that consume them (`Conv2D`, `_FusedConv2D`,
 *   `DepthwiseConv2dNative`, `MatMul`, `_FusedMatMul`, `BiasAdd`, `FusedBatchNorm*`).
 *
 * `weightsManifest` lists groups of shards; each group's shards, concatenated in order,
 * hold its weights back to back (float32, int32, bool; quantized uint8/uint16 weights are
 * dequantized as `value * scale + min`, float16 ones widened). Weights are converted to
 * PyTorch's names and layout as for Keras (keras-layout.ts).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { CheckpointError } from '../errors.js';
import { compareNatural } from '../util/natural-sort.js';
import type { CheckpointReader, ParameterOrder } from './checkpoint.js';
import { configLayers } from './keras.js';
import { kerasToPytorch, rolesByPosition } from './keras-layout.js';
import type { KerasLayer, KerasWeight } from './keras-layout.js';
import { memoryReader } from './memory-reader.js';
import { permuteAxes } from './permute.js';
import { elementCount, halfBitsToFloat32 } from './tensor.js';
import type { TensorData } from './tensor.js';

/** Reader defaults. */
export const TFJS_DEFAULTS = Object.freeze({
  /** Parameter order: the manifest's, which follows the model's layers. */
  order: 'file' as ParameterOrder,
  /** Largest model.json read, bytes. */
  maxJsonBytes: 256 << 20,
});

/** Options of `openTfjs`. */
export interface TfjsOpenOptions {
  order?: ParameterOrder;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True if a parsed JSON document is a tfjs model.json (it has a `weightsManifest`). */
export function isTfjsModelJson(document: unknown): boolean {
  return isObject(document) && Array.isArray(document.weightsManifest);
}

/** Bytes per stored element of a tfjs weight dtype. */
const STORED_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Decodes one weight's bytes to float32 (int32 and bool weights are converted too: graphs are built from floats). */
function decodeWeight(file: string, spec: WeightSpec, bytes: Uint8Array): Float32Array {
  const stored = spec.quantization?.dtype ?? spec.dtype;
  const copy = bytes.slice();
  switch (stored) {
    case 'float32':
      return new Float32Array(copy.buffer);
    case 'int32':
      return Float32Array.from(new Int32Array(copy.buffer));
    case 'bool':
      return Float32Array.from(copy);
    case 'float16':
      return halfBitsToFloat32(new Uint16Array(copy.buffer));
    case 'uint8':
    case 'uint16': {
      const q = spec.quantization;
      const scale = q?.scale ?? 1;
      const min = q?.min ?? 0;
      const raw = stored === 'uint8' ? copy : new Uint16Array(copy.buffer);
      return Float32Array.from(raw, (v) => v * scale + min);
    }
    default:
      throw new CheckpointError(file, `weight ${JSON.stringify(spec.name)}: unsupported dtype ${JSON.stringify(stored)}`);
  }
}

/** Reads every weight of the manifest: shard groups concatenated, weights back to back. */
async function readWeights(file: string, manifest: unknown[]): Promise<Map<string, { spec: WeightSpec; data: Float32Array }>> {
  const folder = dirname(file);
  const weights = new Map<string, { spec: WeightSpec; data: Float32Array }>();
  for (const [g, group] of manifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new CheckpointError(file, `weightsManifest[${g}] must have "paths" and "weights" arrays`);
    }
    const shards: Uint8Array[] = [];
    for (const path of group.paths) {
      const relative = typeof path === 'string' ? normalize(path) : '';
      if (!relative || isAbsolute(relative) || relative.startsWith('..')) throw new CheckpointError(file, `weightsManifest[${g}]: shard path ${JSON.stringify(path)} must be relative to the model's folder`);
      try {
        shards.push(await readFile(join(folder, relative)));
      } catch (error) {
        throw new CheckpointError(join(folder, relative), `cannot read weight shard (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    const total = shards.reduce((n, s) => n + s.length, 0);
    const data = new Uint8Array(total);
    shards.reduce((offset, s) => (data.set(s, offset), offset + s.length), 0);
    let offset = 0;
    for (const raw of group.weights) {
      if (!isObject(raw) || typeof raw.name !== 'string' || !Array.isArray(raw.shape) || typeof raw.dtype !== 'string') {
        throw new CheckpointError(file, `weightsManifest[${g}]: every weight needs "name", "shape" and "dtype"`);
      }
      const spec = raw as unknown as WeightSpec;
      const count = elementCount(spec.shape);
      const size = STORED_BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (count === undefined) throw new CheckpointError(file, `weight ${JSON.stringify(spec.name)}: invalid shape ${JSON.stringify(spec.shape)}`);
      if (size === undefined) throw new CheckpointError(file, `weight ${JSON.stringify(spec.name)}: unsupported dtype ${JSON.stringify(spec.quantization?.dtype ?? spec.dtype)}`);
      const length = count * size;
      if (offset + length > total) {
        throw new CheckpointError(file, `weight ${JSON.stringify(spec.name)} needs bytes [${offset}, ${offset + length}) but weightsManifest[${g}]'s shards hold ${total}`);
      }
      if (weights.has(spec.name)) throw new CheckpointError(file, `weight ${JSON.stringify(spec.name)} is listed twice`);
      weights.set(spec.name, { spec, data: decodeWeight(file, spec, data.subarray(offset, offset + length)) });
      offset += length;
    }
    if (offset !== total) throw new CheckpointError(file, `weightsManifest[${g}]'s shards hold ${total} bytes but its weights take ${offset}`);
  }
  return weights;
}

function weight(role: string, spec: WeightSpec, data: TensorData): KerasWeight {
  return { role, dtype: 'F32', shape: spec.shape, data };
}

/** Layers of a layers-format model: weights grouped by the name before their last `/`. */
function layersModel(topology: unknown, weights: Map<string, { spec: WeightSpec; data: Float32Array }>): KerasLayer[] {
  const config = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  const listed = configLayers(config);
  const classes = new Map(listed.map((l) => [l.name, l.className]));
  const byLayer = new Map<string, { role?: string; spec: WeightSpec; data: Float32Array }[]>();
  for (const { spec, data } of weights.values()) {
    const slash = spec.name.lastIndexOf('/');
    const layer = slash < 0 ? spec.name : spec.name.slice(0, slash);
    const role = slash < 0 ? undefined : spec.name.slice(slash + 1).replace(/[:_]\d+$/, '');
    const list = byLayer.get(layer) ?? [];
    list.push({ role, spec, data });
    byLayer.set(layer, list);
  }
  return [...byLayer].map(([name, list]) => {
    const className = classes.get(name);
    const roles = rolesByPosition(className, list.map((w) => w.spec.shape));
    return { name, className, weights: list.map((w, i) => weight(w.role ?? roles[i], w.spec, w.data)) };
  });
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** Layers of a graph-format model: one per weighted op, named after its kernel constant. */
function graphModel(file: string, topology: unknown, weights: Map<string, { spec: WeightSpec; data: Float32Array }>): KerasLayer[] {
  const nodes = isObject(topology) && Array.isArray(topology.node) ? (topology.node as GraphNode[]) : [];
  const layers: { name: string; weights: KerasWeight[] }[] = [];
  // The layer whose output each node's output carries, to attach a following BiasAdd.
  const producer = new Map<string, { name: string; weights: KerasWeight[] }>();
  const constant = (ref: string | undefined) => (ref === undefined ? undefined : weights.get(ref.replace(/^\^/, '').replace(/:\d+$/, '')));
  const source = (ref: string | undefined) => (ref === undefined ? undefined : producer.get(ref.replace(/:\d+$/, '')));
  for (const node of nodes) {
    const inputs = node.input ?? [];
    const op = node.op;
    const fusedBias = Array.isArray((node.attr?.fused_ops as { list?: { s?: string[] } } | undefined)?.list?.s)
      ? ((node.attr?.fused_ops as { list: { s: string[] } }).list.s.map((s) => Buffer.from(s, 'base64').toString()).includes('BiasAdd'))
      : false;
    if (['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul'].includes(op)) {
      const kernel = constant(inputs[1]);
      if (!kernel) {
        const upstream = source(inputs[0]);
        if (upstream) producer.set(node.name, upstream);
        continue;
      }
      const depthwise = op.includes('Depthwise');
      const transposeB = Boolean((node.attr?.transpose_b as { b?: boolean } | undefined)?.b);
      // A MatMul with transpose_b stores [out, in]; bring it to Keras' [in, out] so one conversion applies.
      const data = transposeB ? permuteAxes(kernel.data, kernel.spec.shape, [1, 0]) : kernel.data;
      const shape = transposeB ? [kernel.spec.shape[1], kernel.spec.shape[0]] : kernel.spec.shape;
      const layer: { name: string; weights: KerasWeight[] } = {
        name: kernel.spec.name.replace(/(\/(MatMul|Conv2D|depthwise|kernel|weights|filter))?\/ReadVariableOp$/, ''),
        weights: [{ role: depthwise ? 'depthwise_kernel' : 'kernel', dtype: 'F32', shape, data }],
      };
      const bias = fusedBias ? constant(inputs[2]) : undefined;
      if (bias) layer.weights.push(weight('bias', bias.spec, bias.data));
      layers.push(layer);
      producer.set(node.name, layer);
    } else if (['BiasAdd', 'Add', 'AddV2'].includes(op) && constant(inputs[1]) && source(inputs[0])) {
      const layer = source(inputs[0]) as { name: string; weights: KerasWeight[] };
      const bias = constant(inputs[1]) as { spec: WeightSpec; data: Float32Array };
      if (layer.weights.some((w) => w.role === 'bias')) throw new CheckpointError(file, `graph node ${JSON.stringify(node.name)} adds a second bias to ${JSON.stringify(layer.name)}`);
      layer.weights.push(weight('bias', bias.spec, bias.data));
      producer.set(node.name, layer);
    } else if (op.startsWith('FusedBatchNorm')) {
      const [, scale, offset, mean, variance] = inputs.map(constant);
      if (!scale || !offset || !mean || !variance) throw new CheckpointError(file, `graph node ${JSON.stringify(node.name)} (${op}) does not read its scale, offset, mean and variance from weights`);
      const layer = {
        name: node.name.replace(/\/FusedBatchNorm\w*$/, ''),
        weights: [weight('gamma', scale.spec, scale.data), weight('beta', offset.spec, offset.data), weight('moving_mean', mean.spec, mean.data), weight('moving_variance', variance.spec, variance.data)],
      };
      layers.push(layer);
      producer.set(node.name, layer);
    } else {
      // Parameterless ops (activations, reshapes, pooling) pass their first input's layer on.
      const upstream = source(inputs[0]);
      if (upstream) producer.set(node.name, upstream);
    }
  }
  return layers;
}

/**
 * Opens a tfjs `model.json` and its weight shards (resolved next to it) and converts the
 * weights to PyTorch's names and layout. Returns a reader; throws `CheckpointError`
 * naming the model.json or shard that is missing or malformed.
 */
export async function openTfjs(file: string, options: TfjsOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? TFJS_DEFAULTS.order;
  let document: unknown;
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > TFJS_DEFAULTS.maxJsonBytes) throw new CheckpointError(file, `model.json is over ${TFJS_DEFAULTS.maxJsonBytes} bytes`);
    document = JSON.parse(text);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, code ? `cannot open (${code})` : `not valid JSON (${(error as Error).message})`);
  }
  if (!isTfjsModelJson(document)) throw new CheckpointError(file, 'not a tfjs model.json: no "weightsManifest" array');
  const model = document as Record<string, unknown>;
  const weights = await readWeights(file, model.weightsManifest as unknown[]);
  const graph = model.format === 'graph-model' || (isObject(model.modelTopology) && Array.isArray(model.modelTopology.node));
  const layers = graph ? graphModel(file, model.modelTopology, weights) : layersModel(model.modelTopology, weights);
  const tensors = kerasToPytorch(layers, (detail) => new CheckpointError(file, detail));
  if (order === 'natural') tensors.sort((a, b) => compareNatural(a.name, b.name));
  const metadata: Record<string, string> = { 'tfjs.format': graph ? 'graph-model' : 'layers-model' };
  if (typeof model.generatedBy === 'string') metadata['tfjs.generatedBy'] = model.generatedBy;
  if (typeof model.convertedBy === 'string') metadata['tfjs.convertedBy'] = model.convertedBy;
  return memoryReader(file, 'tfjs', tensors, metadata);
}
