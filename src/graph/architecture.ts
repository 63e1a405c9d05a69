/**
 * Architecture specs: a network as a DAG of layers, each naming its parameter tensors.
 * The format is documented in docs/architecture-spec.md; this module types and validates it.
 *
 * Layers are listed in a topological order. Each layer reads the output of the layer
 * named by `input` (default: the layer listed before it); `add` reads several (`inputs`).
 * Only `conv` and `dense` layers (and `input`) create graph nodes; `batchnorm` is folded
 * into edges; `add` merges branches; the rest only change spatial sizes or nothing.
 */
import { GraphError } from './errors.js';

/** A size or step per spatial axis: one number for both, or `[height, width]`. */
export type Pair = number | readonly [number, number];

/** The network input: `channels` (an MLP: features), optional spatial `size` `[height, width]`. */
export interface InputLayerSpec {
  readonly type: 'input';
  readonly name?: string;
  readonly channels: number;
  readonly size?: readonly [number, number];
}

interface SingleInput {
  readonly name?: string;
  /** Layer whose output this layer reads; default: the layer listed before it. */
  readonly input?: string;
}

/** `nn.Conv1d/2d/3d`: weight `[out, in / groups, ...kernel]`. Spatial options matter only for unrolled graphs. */
export interface ConvLayerSpec extends SingleInput {
  readonly type: 'conv';
  readonly weight: string;
  readonly bias?: string;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  /** Default: inferred from the weight's shape and the input's channels (1 when they match). */
  readonly groups?: number;
}

/** `nn.Linear`: weight `[out, in]`. After a flatten, `in` = channels x positions. */
export interface DenseLayerSpec extends SingleInput {
  readonly type: 'dense';
  readonly weight: string;
  readonly bias?: string;
}

/** `nn.BatchNorm1d/2d`: gamma (`weight`, default 1), beta (`bias`, default 0), running statistics. */
export interface BatchNormLayerSpec extends SingleInput {
  readonly type: 'batchnorm';
  readonly weight?: string;
  readonly bias?: string;
  readonly running_mean?: string;
  readonly running_var: string;
  /** Default 1e-5 (PyTorch's). */
  readonly eps?: number;
}

/** Max or average pooling; `output` makes it adaptive (`nn.AdaptiveAvgPool2d(output)`). */
export interface PoolLayerSpec extends SingleInput {
  readonly type: 'pool';
  /** Default `max`. */
  readonly mode?: 'max' | 'avg';
  readonly kernel?: Pair;
  /** Default: the kernel. */
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly output?: Pair;
}

/** Layers with no parameters and no nodes: flatten, activations, dropout. */
export interface PassLayerSpec extends SingleInput {
  readonly type: 'flatten' | 'activation' | 'dropout';
}

/** Residual sum of two or more branches with the same channels. */
export interface AddLayerSpec {
  readonly type: 'add';
  readonly name?: string;
  readonly inputs: readonly string[];
}

/** One layer of an architecture spec. */
export type LayerSpec =
  | InputLayerSpec
  | ConvLayerSpec
  | DenseLayerSpec
  | BatchNormLayerSpec
  | PoolLayerSpec
  | PassLayerSpec
  | AddLayerSpec;

/** A network architecture: layers in topological order, the first one of type `input`. */
export interface ArchitectureSpec {
  readonly format: 'epochgraph-architecture';
  readonly version: 1;
  readonly layers: readonly LayerSpec[];
}

/** Value of `format` in every spec. */
export const ARCHITECTURE_FORMAT = 'epochgraph-architecture';

const LAYER_KEYS: Readonly<Record<LayerSpec['type'], readonly string[]>> = {
  input: ['channels', 'size'],
  conv: ['input', 'weight', 'bias', 'stride', 'padding', 'dilation', 'groups'],
  dense: ['input', 'weight', 'bias'],
  batchnorm: ['input', 'weight', 'bias', 'running_mean', 'running_var', 'eps'],
  pool: ['input', 'mode', 'kernel', 'stride', 'padding', 'output'],
  flatten: ['input'],
  activation: ['input'],
  dropout: ['input'],
  add: ['inputs'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function isPair(value: unknown, min: number): boolean {
  if (isCount(value, min)) return true;
  return Array.isArray(value) && value.length === 2 && value.every((v) => isCount(v, min));
}

/** `[height, width]` of a pair. */
export function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** The name a layer is known by: its `name`, else `input` for the input and `<type><index>` for the others. */
export function layerName(layer: LayerSpec, index: number): string {
  return layer.name ?? (layer.type === 'input' ? 'input' : `${layer.type}${index}`);
}

/** A namer for generated specs: returns `base` (or `layer`), or `base#2`, `base#3`, ... once it is taken. */
export function uniqueNamer(taken: Iterable<string> = []): (base: string) => string {
  const used = new Set(taken);
  return (base) => {
    let name = base || 'layer';
    for (let k = 2; used.has(name); k++) name = `${base}#${k}`;
    used.add(name);
    return name;
  };
}

/**
 * Validates a parsed JSON value as an architecture spec.
 * Returns it typed; throws `GraphError` naming the first problem and where it is.
 */
export function parseArchitectureSpec(value: unknown, source = 'architecture spec'): ArchitectureSpec {
  const fail = (detail: string): never => {
    throw new GraphError(`${source}: ${detail}`);
  };
  if (!isObject(value)) return fail('not a JSON object');
  if (value.format !== ARCHITECTURE_FORMAT) fail(`"format" must be "${ARCHITECTURE_FORMAT}"`);
  if (value.version !== 1) fail('"version" must be 1');
  const layers = value.layers;
  if (!Array.isArray(layers) || layers.length < 2) return fail('"layers" must be an array of at least two layers');
  const seen = new Set<string>();
  layers.forEach((layer: unknown, index) => {
    const where = `layers[${index}]`;
    if (!isObject(layer)) return fail(`${where} is not a JSON object`);
    const type = layer.type;
    if (typeof type !== 'string' || !Object.hasOwn(LAYER_KEYS, type)) {
      return fail(`${where}: "type" must be one of ${Object.keys(LAYER_KEYS).join(', ')}`);
    }
    const allowed = new Set(['type', 'name', ...LAYER_KEYS[type as LayerSpec['type']]]);
    for (const key of Object.keys(layer)) if (!allowed.has(key)) fail(`${where} (${type}): unknown key "${key}"`);
    if (layer.name !== undefined && (typeof layer.name !== 'string' || layer.name === '')) fail(`${where}: "name" must be a non-empty string`);
    const name = layerName(layer as unknown as LayerSpec, index);
    if (seen.has(name)) fail(`${where}: duplicate layer name "${name}"`);
    const at = `${where} (${type} "${name}")`;
    const reference = (ref: unknown): void => {
      if (typeof ref !== 'string' || !seen.has(ref)) fail(`${at}: input ${JSON.stringify(ref)} is not a layer listed before it`);
    };
    if ((type === 'input') !== (index === 0)) fail(`${at}: the first layer, and only it, must be of type "input"`);
    if (layer.input !== undefined) reference(layer.input);
    const tensor = (key: string, required: boolean): void => {
      const v = layer[key];
      if (v === undefined ? required : typeof v !== 'string' || v === '') fail(`${at}: "${key}" must name a tensor`);
    };
    switch (type) {
      case 'input':
        if (!isCount(layer.channels, 1)) fail(`${at}: "channels" must be a positive integer`);
        if (layer.size !== undefined && !(Array.isArray(layer.size) && isPair(layer.size, 1))) {
          fail(`${at}: "size" must be [height, width] of positive integers`);
        }
        break;
      case 'conv':
        tensor('weight', true);
        tensor('bias', false);
        for (const key of ['stride', 'dilation'] as const) {
          if (layer[key] !== undefined && !isPair(layer[key], 1)) fail(`${at}: "${key}" must be a positive integer or a pair of them`);
        }
        if (layer.padding !== undefined && !isPair(layer.padding, 0)) fail(`${at}: "padding" must be a non-negative integer or a pair of them`);
        if (layer.groups !== undefined && !isCount(layer.groups, 1)) fail(`${at}: "groups" must be a positive integer`);
        break;
      case 'dense':
        tensor('weight', true);
        tensor('bias', false);
        break;
      case 'batchnorm':
        tensor('weight', false);
        tensor('bias', false);
        tensor('running_mean', false);
        tensor('running_var', true);
        if (layer.eps !== undefined && !(typeof layer.eps === 'number' && layer.eps >= 0 && Number.isFinite(layer.eps))) {
          fail(`${at}: "eps" must be a non-negative number`);
        }
        break;
      case 'pool':
        if (layer.mode !== undefined && layer.mode !== 'max' && layer.mode !== 'avg') fail(`${at}: "mode" must be "max" or "avg"`);
        if ((layer.kernel === undefined) === (layer.output === undefined)) fail(`${at}: give exactly one of "kernel" and "output"`);
        if (layer.kernel !== undefined && !isPair(layer.kernel, 1)) fail(`${at}: "kernel" must be a positive integer or a pair of them`);
        if (layer.output !== undefined && !isPair(layer.output, 1)) fail(`${at}: "output" must be a positive integer or a pair of them`);
        if (layer.stride !== undefined && !isPair(layer.stride, 1)) fail(`${at}: "stride" must be a positive integer or a pair of them`);
        if (layer.padding !== undefined && !isPair(layer.padding, 0)) fail(`${at}: "padding" must be a non-negative integer or a pair of them`);
        break;
      case 'add':
        if (!Array.isArray(layer.inputs) || layer.inputs.length < 2) fail(`${at}: "inputs" must list at least two layers`);
        (layer.inputs as unknown[]).forEach(reference);
        break;
    }
    seen.add(name);
  });
  return value as unknown as ArchitectureSpec;
}
