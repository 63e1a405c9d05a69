/**
 * The architecture of an ONNX model, read from its graph (the topology the ONNX reader
 * records under the metadata key `onnx.graph`), so that a network exported with
 * `torch.onnx.export` or tf2onnx needs no hand-written spec.
 *
 * Operators (https://onnx.ai/onnx/operators/) map to spec layers:
 * `Conv` -> conv; `Gemm`, and `MatMul` by an initializer (with a following `Add` of a bias
 * initializer) -> dense; `BatchNormalization` -> batchnorm; `MaxPool`, `AveragePool` ->
 * pool; `GlobalAveragePool`, `GlobalMaxPool` -> adaptive pool to 1; `Flatten`, `Reshape`
 * -> flatten; `Add`/`Sum` of two computed values -> add (a skip connection); activations ->
 * activation; `Identity`, `Dropout` pass their input on. Nodes that read no computed value
 * (constants and shape arithmetic) are skipped. Any other operator on the data path is
 * refused with a `GraphError` naming the node.
 */
import type { OnnxAttribute, OnnxNode, OnnxTopology } from '../checkpoint/onnx.js';
import type { ArchitectureSpec, LayerSpec, Pair } from './architecture.js';
import { ARCHITECTURE_FORMAT, parseArchitectureSpec, uniqueNamer } from './architecture.js';
import { GraphError, SPEC_HINT } from './errors.js';

const ACTIVATIONS = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'HardSigmoid',
  'HardSwish', 'Gelu', 'Mish', 'Clip', 'Softmax', 'LogSoftmax', 'Erf', 'ThresholdedRelu',
]);
const PASS_THROUGH = new Set(['Identity', 'Dropout', 'Cast']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function ints(value: OnnxAttribute | undefined): number[] | undefined {
  return Array.isArray(value) ? (value as number[]) : typeof value === 'number' ? [value] : undefined;
}

/** A spatial attribute as a spec pair: one number when both axes agree. */
function pairOf(values: readonly number[] | undefined): Pair | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length === 1) return values[0];
  return values[0] === values[1] ? values[0] : [values[0], values[1]];
}

/**
 * Builds the architecture spec of an ONNX graph. Returns the validated spec; throws
 * `GraphError` naming the node it cannot map.
 */
export function architectureFromOnnx(topology: OnnxTopology, source: string): ArchitectureSpec {
  const fail = (detail: string): never => {
    throw new GraphError(`${source}: ${detail}; ${SPEC_HINT}`);
  };
  // Value name -> the spec layer whose output it is. Inputs that are not computed are initializers.
  const produced = new Map<string, string>();
  const isWeight = (name: string | undefined): name is string => name !== undefined && name !== '' && !produced.has(name);
  const unique = uniqueNamer();
  const input = topology.inputs[0];
  if (!input) return fail('the ONNX graph has no data input');
  const shape = input.shape;
  const channels = shape[1];
  if (typeof channels !== 'number') return fail(`input ${JSON.stringify(input.name)} has no fixed channel dimension (shape [${shape.map((d) => d ?? '?').join(', ')}])`);
  const inputName = unique('input');
  const inputLayer: Mutable<LayerSpec & { type: 'input' }> = { type: 'input', name: inputName, channels };
  if (shape.length === 4 && typeof shape[2] === 'number' && typeof shape[3] === 'number') inputLayer.size = [shape[2], shape[3]];
  const layers: Mutable<LayerSpec>[] = [inputLayer];
  produced.set(input.name, inputName);
  const byName = new Map<string, Mutable<LayerSpec>>([[inputName, inputLayer]]);
  const push = (node: OnnxNode, layer: Mutable<LayerSpec>): void => {
    const name = unique(node.name);
    layer.name = name;
    layers.push(layer);
    byName.set(name, layer);
    for (const out of node.outputs) produced.set(out, name);
  };
  const alias = (node: OnnxNode, from: string): void => {
    for (const out of node.outputs) produced.set(out, produced.get(from) as string);
  };

  for (const node of topology.nodes) {
    const data = node.inputs.filter((i) => produced.has(i));
    if (data.length === 0) continue;
    const x = node.inputs[0];
    const from = produced.get(x);
    const at = `node ${JSON.stringify(node.name)} (${node.op})`;
    const a = node.attributes;
    switch (node.op) {
      case 'Conv': {
        const [, weight, bias] = node.inputs;
        if (!from || !isWeight(weight)) fail(`${at}: expected a computed input and an initializer weight`);
        const pads = ints(a.pads);
        if (pads && pads.length === 4 && (pads[0] !== pads[2] || pads[1] !== pads[3])) fail(`${at}: asymmetric padding [${pads.join(', ')}] has no spec equivalent`);
        if (typeof a.auto_pad === 'string' && a.auto_pad !== 'NOTSET' && a.auto_pad !== 'VALID') fail(`${at}: auto_pad ${a.auto_pad} is not supported`);
        const layer: Mutable<LayerSpec & { type: 'conv' }> = { type: 'conv', input: from, weight };
        if (isWeight(bias)) layer.bias = bias;
        const stride = pairOf(ints(a.strides));
        const padding = pairOf(pads?.slice(0, 2));
        const dilation = pairOf(ints(a.dilations));
        if (stride !== undefined && stride !== 1) layer.stride = stride;
        if (padding !== undefined && padding !== 0) layer.padding = padding;
        if (dilation !== undefined && dilation !== 1) layer.dilation = dilation;
        if (typeof a.group === 'number' && a.group > 1) layer.groups = a.group;
        push(node, layer);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const [, weight, bias] = node.inputs;
        if (!from || !isWeight(weight)) fail(`${at}: expected a computed input times an initializer weight`);
        if (node.op === 'Gemm' && (a.transA === 1 || (a.alpha !== undefined && a.alpha !== 1) || (a.beta !== undefined && a.beta !== 1 && isWeight(bias)))) {
          fail(`${at}: only Gemm with transA = 0, alpha = 1 and beta = 1 is a dense layer`);
        }
        const layer: Mutable<LayerSpec & { type: 'dense' }> = { type: 'dense', input: from, weight };
        if (node.op === 'Gemm' && isWeight(bias)) layer.bias = bias;
        push(node, layer);
        break;
      }
      case 'Add':
      case 'Sum': {
        if (data.length >= 2) {
          push(node, { type: 'add', inputs: data.map((d) => produced.get(d) as string) });
          break;
        }
        // A bias added after a MatMul.
        const bias = node.inputs.find((i) => !produced.has(i));
        const target = byName.get(produced.get(data[0]) as string);
        if (target?.type === 'dense' && target.bias === undefined && isWeight(bias) && node.op === 'Add') {
          target.bias = bias;
          alias(node, data[0]);
          break;
        }
        fail(`${at}: adds a constant to something other than a MatMul without bias`);
        break;
      }
      case 'BatchNormalization': {
        const [, scale, shift, mean, variance] = node.inputs;
        if (!from || ![scale, shift, mean, variance].every(isWeight)) fail(`${at}: expected scale, bias, mean and variance initializers`);
        const layer: Mutable<LayerSpec & { type: 'batchnorm' }> = { type: 'batchnorm', input: from, weight: scale, bias: shift, running_mean: mean, running_var: variance };
        if (typeof a.epsilon === 'number') layer.eps = Math.fround(a.epsilon) === Math.fround(1e-5) ? 1e-5 : a.epsilon;
        push(node, layer);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const kernel = pairOf(ints(a.kernel_shape));
        if (!from || kernel === undefined) fail(`${at}: expected a computed input and kernel_shape`);
        const pads = ints(a.pads);
        if (pads && pads.length === 4 && (pads[0] !== pads[2] || pads[1] !== pads[3])) fail(`${at}: asymmetric padding [${pads.join(', ')}] has no spec equivalent`);
        const layer: Mutable<LayerSpec & { type: 'pool' }> = { type: 'pool', input: from, mode: node.op === 'MaxPool' ? 'max' : 'avg', kernel: kernel as Pair };
        const stride = pairOf(ints(a.strides));
        const padding = pairOf(pads?.slice(0, 2));
        if (stride !== undefined) layer.stride = stride;
        if (padding !== undefined && padding !== 0) layer.padding = padding;
        push(node, layer);
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        push(node, { type: 'pool', input: from, mode: node.op === 'GlobalMaxPool' ? 'max' : 'avg', output: 1 });
        break;
      case 'Flatten':
      case 'Reshape':
        push(node, { type: 'flatten', input: from });
        break;
      case 'Shape':
        // Data-dependent shape arithmetic: its outputs are not activations.
        break;
      default:
        if (ACTIVATIONS.has(node.op)) push(node, { type: 'activation', input: from });
        else if (PASS_THROUGH.has(node.op) && from) alias(node, x);
        else fail(`${at}: operator ${node.op} on the data path is not supported (supported: Conv, Gemm, MatMul, Add, BatchNormalization, pooling, Flatten, Reshape, activations)`);
    }
  }
  if (layers.length < 2) fail('the ONNX graph has no layers that carry weights');
  return parseArchitectureSpec({ format: ARCHITECTURE_FORMAT, version: 1, layers }, source);
}
