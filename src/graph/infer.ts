/**
 * Architecture inference from tensor names and shapes alone, for checkpoints that come
 * without a spec. Two families are recognised:
 * - torchvision-style ResNets (`conv1`, `bn1`, `layerN.M.conv1/bn1/conv2/bn2[/conv3/bn3]`,
 *   `layerN.M.downsample.0/1` or `shortcut.0/1`, `fc` or `linear`, under any common prefix);
 * - plain chains: conv and dense modules (plus batch-norms after them) in parameter order,
 *   with a flatten wherever a dense layer follows a conv; the positions per channel come from
 *   the dense layer's in-features / channels.
 * Anything else is refused with a `GraphError` that says how to give a spec.
 */
import { compareNatural } from '../util/natural-sort.js';
import type { ArchitectureSpec, LayerSpec } from './architecture.js';
import { ARCHITECTURE_FORMAT, uniqueNamer } from './architecture.js';
import { GraphError, SPEC_HINT } from './errors.js';

/** A tensor known by name and shape (a checkpoint entry or tensor). */
export interface NamedShape {
  readonly name: string;
  readonly shape: readonly number[];
}

type ParameterKind = 'weight' | 'bias' | 'running_mean' | 'running_var' | 'num_batches_tracked';
const PARAMETER_KINDS = new Set<string>(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);

/** One PyTorch module's parameters: `prefix.weight`, `prefix.bias`, ... */
interface Module {
  readonly prefix: string;
  readonly kind: 'conv' | 'dense' | 'batchnorm';
  readonly tensors: Partial<Record<ParameterKind, NamedShape>>;
}

function cannotInfer(detail: string): GraphError {
  return new GraphError(`cannot infer the architecture: ${detail}; ${SPEC_HINT}`);
}

function shapeText(t: NamedShape): string {
  return `"${t.name}" [${t.shape.join(', ')}]`;
}

/** Groups tensors into modules in order of first appearance and classifies each. */
function modulesOf(entries: readonly NamedShape[]): Module[] {
  const byPrefix = new Map<string, Partial<Record<ParameterKind, NamedShape>>>();
  for (const entry of entries) {
    const dot = entry.name.lastIndexOf('.');
    const prefix = dot < 0 ? '' : entry.name.slice(0, dot);
    const kind = entry.name.slice(dot + 1);
    if (!PARAMETER_KINDS.has(kind)) throw cannotInfer(`tensor ${shapeText(entry)} is not a conv, dense or batch-norm parameter`);
    const tensors = byPrefix.get(prefix) ?? {};
    tensors[kind as ParameterKind] = entry;
    byPrefix.set(prefix, tensors);
  }
  return [...byPrefix].map(([prefix, tensors]) => {
    if (tensors.running_var) return { prefix, kind: 'batchnorm', tensors };
    const weight = tensors.weight;
    if (!weight) throw cannotInfer(`module "${prefix}" has no weight`);
    if (weight.shape.length === 2) return { prefix, kind: 'dense', tensors };
    if (weight.shape.length >= 3) return { prefix, kind: 'conv', tensors };
    throw cannotInfer(`tensor ${shapeText(weight)} is not a conv or dense weight, and "${prefix}" has no running_var of a batch-norm`);
  });
}

function weightLayer(m: Module, name: string, input?: string): LayerSpec {
  const w = m.tensors.weight as NamedShape;
  const bias = m.tensors.bias?.name;
  const common = { name, ...(input ? { input } : {}), weight: w.name, ...(bias ? { bias } : {}) };
  return m.kind === 'dense' ? { type: 'dense', ...common } : { type: 'conv', ...common };
}

function batchNormLayer(m: Module, name: string): LayerSpec {
  const t = m.tensors;
  return {
    type: 'batchnorm',
    name,
    ...(t.weight ? { weight: t.weight.name } : {}),
    ...(t.bias ? { bias: t.bias.name } : {}),
    ...(t.running_mean ? { running_mean: t.running_mean.name } : {}),
    running_var: (t.running_var as NamedShape).name,
  };
}

function spec(layers: LayerSpec[]): ArchitectureSpec {
  return { format: ARCHITECTURE_FORMAT, version: 1, layers };
}

const RESNET_BLOCK = /^(.*?)layer(\d+)\.(\d+)\.conv1\.weight$/;

/**
 * Infers an architecture spec from tensor names and shapes (in parameter order).
 * Returns a spec without spatial sizes (enough for rolled graphs); throws `GraphError` when
 * the tensors are neither a plain chain nor a torchvision-style ResNet.
 */
export function inferArchitecture(entries: readonly NamedShape[]): ArchitectureSpec {
  if (entries.length === 0) throw cannotInfer('the checkpoint holds no tensors');
  const resnet = entries.map((e) => RESNET_BLOCK.exec(e.name)).find((m) => m !== null);
  const modules = modulesOf(entries);
  return resnet ? inferResNet(modules, resnet[1]) : inferChain(modules);
}

function inferChain(modules: readonly Module[]): ArchitectureSpec {
  // Segments: a conv or dense module with the batch-norms after it. Convs come first in any
  // plain chain; sorting on that repairs alphabetical orders such as classifier.* < features.*.
  const segments: Module[][] = [];
  for (const m of modules) {
    if (m.kind === 'batchnorm' && segments.length > 0) segments[segments.length - 1].push(m);
    else segments.push([m]);
  }
  const rank = (segment: Module[]): number => (segment[0].kind === 'conv' ? 0 : segment[0].kind === 'dense' ? 1 : -1);
  segments.sort((a, b) => rank(a) - rank(b));
  const ordered = segments.flat();
  const first = ordered.find((m) => m.kind !== 'batchnorm');
  if (!first) throw cannotInfer('the checkpoint holds no conv or dense weight');
  const firstWeight = first.tensors.weight as NamedShape;

  const unique = uniqueNamer(['input', 'flatten']);
  let channels = firstWeight.shape[1];
  let form: 'maps' | 'vector' = first.kind === 'conv' ? 'maps' : 'vector';
  let previous = 'input';
  const layers: LayerSpec[] = [{ type: 'input', name: 'input', channels }];
  for (const m of ordered) {
    const name = unique(m.prefix);
    if (m.kind === 'batchnorm') {
      const features = (m.tensors.running_var as NamedShape).shape[0];
      if (features !== channels) throw cannotInfer(`batch-norm "${m.prefix}" has ${features} features but follows "${previous}" with ${channels}`);
      layers.push(batchNormLayer(m, name));
    } else {
      const w = m.tensors.weight as NamedShape;
      const [out, inputs] = w.shape;
      if (m.kind === 'conv') {
        if (form !== 'maps') throw cannotInfer(`conv ${shapeText(w)} follows dense layer "${previous}"`);
        if (inputs < 1 || channels % inputs !== 0 || out % (channels / inputs) !== 0) {
          throw cannotInfer(`conv ${shapeText(w)} does not fit the ${channels} channels of "${previous}"`);
        }
      } else if (form === 'maps') {
        if (inputs % channels !== 0) throw cannotInfer(`dense ${shapeText(w)} cannot read a flatten of the ${channels} channels of "${previous}"`);
        layers.push({ type: 'flatten', name: 'flatten' });
        form = 'vector';
      } else if (inputs !== channels) {
        throw cannotInfer(`dense ${shapeText(w)} does not fit the ${channels} features of "${previous}"`);
      }
      layers.push(weightLayer(m, name));
      channels = out;
    }
    previous = m.prefix;
  }
  return spec(layers);
}

function inferResNet(modules: readonly Module[], prefix: string): ArchitectureSpec {
  const byPrefix = new Map(modules.map((m) => [m.prefix, m]));
  const used = new Set<string>();
  const take = (name: string, kind: Module['kind'], required: boolean): Module | undefined => {
    const m = byPrefix.get(prefix + name);
    if (m && m.kind !== kind) throw cannotInfer(`"${prefix + name}" is not a ${kind} module in a torchvision-style ResNet`);
    if (!m && required) throw cannotInfer(`torchvision-style ResNet without "${prefix + name}"`);
    if (m) used.add(m.prefix);
    return m;
  };
  const stem = take('conv1', 'conv', true) as Module;
  const stemWeight = stem.tensors.weight as NamedShape;
  const stemKernel = stemWeight.shape[2];
  const layers: LayerSpec[] = [
    { type: 'input', name: 'input', channels: stemWeight.shape[1] },
    // ImageNet stem: 7x7/2 conv and 3x3/2 max pool; CIFAR variants use a 3x3/1 conv and no pool.
    { ...weightLayer(stem, prefix + 'conv1'), ...(stemKernel === 7 ? { stride: 2, padding: 3 } : { padding: Math.floor(stemKernel / 2) }) } as LayerSpec,
  ];
  const bn1 = take('bn1', 'batchnorm', false);
  if (bn1) layers.push(batchNormLayer(bn1, prefix + 'bn1'));
  layers.push({ type: 'activation', name: prefix + 'relu' });
  if (stemKernel === 7) layers.push({ type: 'pool', name: prefix + 'maxpool', mode: 'max', kernel: 3, stride: 2, padding: 1 });
  let current = layers[layers.length - 1].name as string;

  // Block prefixes such as "layer2.0.", in natural order.
  const blockNames = new Set<string>();
  for (const m of modules) {
    const match = m.prefix.startsWith(prefix) ? /^layer\d+\.\d+\./.exec(m.prefix.slice(prefix.length)) : null;
    if (match) blockNames.add(match[0]);
  }
  const blocks = [...blockNames].sort(compareNatural);
  for (const block of blocks) {
    const stage = Number(/^layer(\d+)/.exec(block)![1]);
    const shortcut = take(`${block}downsample.0`, 'conv', false) ?? take(`${block}shortcut.0`, 'conv', false);
    const stride = shortcut && stage > 1 && block.endsWith('.0.') ? 2 : 1;
    const convs = [1, 2, 3].map((k) => take(`${block}conv${k}`, 'conv', k < 3)).filter((m): m is Module => m !== undefined);
    const input = current;
    let last = '';
    convs.forEach((conv, k) => {
      const kernel = (conv.tensors.weight as NamedShape).shape[2];
      // torchvision puts the stride on the 3x3 conv: conv1 of a basic block, conv2 of a bottleneck.
      const strided = convs.length === 2 ? k === 0 : k === 1;
      layers.push({
        ...weightLayer(conv, conv.prefix, k === 0 ? input : undefined),
        padding: Math.floor(kernel / 2),
        ...(strided && stride > 1 ? { stride } : {}),
      } as LayerSpec);
      last = conv.prefix;
      const bn = take(`${block}bn${k + 1}`, 'batchnorm', false);
      if (bn) {
        layers.push(batchNormLayer(bn, bn.prefix));
        last = bn.prefix;
      }
      if (k < convs.length - 1) layers.push({ type: 'activation', name: `${block}relu${k + 1}` });
    });
    let side = input;
    if (shortcut) {
      layers.push({ ...weightLayer(shortcut, shortcut.prefix, input), ...(stride > 1 ? { stride } : {}) } as LayerSpec);
      side = shortcut.prefix;
      const bn = take(shortcut.prefix.slice(prefix.length, -1) + '1', 'batchnorm', false);
      if (bn) {
        layers.push(batchNormLayer(bn, bn.prefix));
        side = bn.prefix;
      }
    }
    layers.push({ type: 'add', name: `${block}add`, inputs: [last, side] });
    layers.push({ type: 'activation', name: `${block}relu` });
    current = `${block}relu`;
  }
  const fc = take('fc', 'dense', false) ?? take('linear', 'dense', false);
  if (!fc) throw cannotInfer(`torchvision-style ResNet without "${prefix}fc" or "${prefix}linear"`);
  layers.push({ type: 'pool', name: prefix + 'avgpool', mode: 'avg', output: 1 });
  layers.push({ type: 'flatten', name: prefix + 'flatten' });
  layers.push(weightLayer(fc, fc.prefix));
  const extra = modules.find((m) => !used.has(m.prefix));
  if (extra) throw cannotInfer(`module "${extra.prefix}" does not fit the torchvision-style ResNet layout`);
  return spec(layers);
}
