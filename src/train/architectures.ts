/**
 * The architectures epochgraph trains, as layer programs: a small, explicit list of
 * layers (with residual blocks nested) from which the trainer builds its tfjs model
 * and the graph builder its architecture spec. Parameter names follow PyTorch /
 * torchvision conventions so that checkpoints look like `model.state_dict()`.
 *
 * Shapes are tracked while building, so every dense layer knows its input size and,
 * after a flatten, the `[channels, height, width]` it came from (needed to export its
 * weights in PyTorch's NCHW flatten order).
 */
import { ARCHITECTURES, ARCHITECTURE_DEFAULTS } from '../checkpoint/run-config.js';
import type { ArchitectureName } from '../checkpoint/run-config.js';
import { EpochgraphError } from '../errors.js';

/** A layer of a program. Spatial layers work on NHWC activations. */
export type Layer =
  | { op: 'conv2d'; name: string; inChannels: number; outChannels: number; kernel: number; stride: number; padding: number; bias: boolean }
  | { op: 'batchnorm'; name: string; channels: number; eps: number; momentum: number }
  | { op: 'dense'; name: string; inFeatures: number; outFeatures: number; flattenedFrom?: [number, number, number] }
  | { op: 'relu' }
  | { op: 'maxpool'; kernel: number; stride: number }
  | { op: 'global_avgpool' }
  | { op: 'flatten' }
  | { op: 'dropout'; rate: number }
  | { op: 'residual'; body: Layer[]; shortcut: Layer[] };

/** The input a program expects. */
export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** A network: its input, layers and number of classes. */
export interface Program {
  readonly arch: ArchitectureName;
  readonly input: InputShape;
  readonly classes: number;
  readonly layers: readonly Layer[];
}

/** Architecture options (all optional; the defaults are the documented ones). */
export interface ArchitectureOptions {
  /** Multiplies every hidden width and channel count (rounded, at least 1). */
  width?: number;
  /** Dropout rate before each hidden dense layer's successor (0 = none). */
  dropout?: number;
  /** mlp: hidden layer sizes before the width multiplier. */
  hidden?: readonly number[];
  /** vgg: conv channels per stage (each stage ends with a 2x2 max-pool). */
  stages?: readonly (readonly number[])[];
  /** vgg: batch-norm after each conv. */
  batchNorm?: boolean;
  /** resnet: depth 6n+2 (8, 14, 20, ...). */
  depth?: number;
}

/** An invalid architecture option or an input the architecture cannot take. */
export class ArchitectureError extends EpochgraphError {
  constructor(detail: string) {
    super(`architecture: ${detail}`);
  }
}

/** Tracks the activation shape while layers are appended. */
class ProgramBuilder {
  private spatial: [number, number, number] | undefined; // [channels, height, width]
  private features = 0;
  /** Shape recorded at the last flatten of a spatial map, for the dense layer that follows. */
  private flattenSource: [number, number, number] | undefined;

  constructor(
    input: InputShape,
    readonly layers: Layer[] = [],
  ) {
    this.spatial = [input.channels, input.height, input.width];
  }

  get channels(): number {
    if (!this.spatial) throw new ArchitectureError('conv layer after flatten');
    return this.spatial[0];
  }

  shape(): [number, number, number] | undefined {
    return this.spatial;
  }

  conv(name: string, outChannels: number, kernel: number, stride = 1, padding = (kernel - 1) / 2, bias = true): this {
    const [c, h, w] = this.spatial ?? [0, 0, 0];
    if (!this.spatial) throw new ArchitectureError(`${name}: conv layer after flatten`);
    const outH = Math.floor((h + 2 * padding - kernel) / stride) + 1;
    const outW = Math.floor((w + 2 * padding - kernel) / stride) + 1;
    if (outH < 1 || outW < 1) throw new ArchitectureError(`${name}: input ${h}x${w} is too small for a ${kernel}x${kernel} conv`);
    this.layers.push({ op: 'conv2d', name, inChannels: c, outChannels, kernel, stride, padding, bias });
    this.spatial = [outChannels, outH, outW];
    return this;
  }

  batchNorm(name: string): this {
    this.layers.push({ op: 'batchnorm', name, channels: this.channels, eps: 1e-5, momentum: 0.1 });
    return this;
  }

  relu(): this {
    this.layers.push({ op: 'relu' });
    return this;
  }

  maxPool(kernel = 2, stride = 2): this {
    const [c, h, w] = this.spatial ?? [0, 0, 0];
    if (h < kernel || w < kernel) throw new ArchitectureError(`input ${h}x${w} is too small for a ${kernel}x${kernel} max-pool`);
    this.layers.push({ op: 'maxpool', kernel, stride });
    this.spatial = [c, Math.floor((h - kernel) / stride) + 1, Math.floor((w - kernel) / stride) + 1];
    return this;
  }

  globalAvgPool(): this {
    this.layers.push({ op: 'global_avgpool' });
    this.features = this.channels;
    this.spatial = undefined;
    return this;
  }

  flatten(): this {
    if (this.spatial) this.features = this.spatial[0] * this.spatial[1] * this.spatial[2];
    this.layers.push({ op: 'flatten' });
    return this;
  }

  dropout(rate: number): this {
    if (rate > 0) this.layers.push({ op: 'dropout', rate });
    return this;
  }

  dense(name: string, outFeatures: number): this {
    const previous = this.layers.at(-1);
    const flattenedFrom = previous?.op === 'flatten' || (previous?.op === 'dropout' && this.layers.at(-2)?.op === 'flatten') ? this.flattenSource : undefined;
    this.layers.push({ op: 'dense', name, inFeatures: this.features, outFeatures, ...(flattenedFrom ? { flattenedFrom } : {}) });
    this.features = outFeatures;
    return this;
  }

  flattenSpatial(): this {
    this.flattenSource = this.spatial;
    return this.flatten();
  }

  /** Appends a residual block: `body` and `shortcut` (empty = identity) both start from the current shape. */
  residual(build: (body: ProgramBuilder) => void, shortcut: (s: ProgramBuilder) => void): this {
    const input = this.spatial;
    if (!input) throw new ArchitectureError('residual block after flatten');
    const start: InputShape = { channels: input[0], height: input[1], width: input[2] };
    const body = new ProgramBuilder(start, []);
    build(body);
    const short = new ProgramBuilder(start, []);
    shortcut(short);
    const a = body.shape();
    const b = short.shape();
    if (!a || !b || a.join() !== b.join()) throw new ArchitectureError(`residual body [${a}] and shortcut [${b}] shapes differ`);
    this.layers.push({ op: 'residual', body: body.layers, shortcut: short.layers });
    this.spatial = a;
    return this;
  }
}

function scaled(n: number, width: number): number {
  return Math.max(1, Math.round(n * width));
}

function validate(options: ArchitectureOptions): Required<ArchitectureOptions> {
  const o = { ...ARCHITECTURE_DEFAULTS, ...options } as Required<ArchitectureOptions>;
  if (!(o.width > 0)) throw new ArchitectureError(`width must be > 0, got ${o.width}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new ArchitectureError(`dropout must be in [0, 1), got ${o.dropout}`);
  if (o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new ArchitectureError(`hidden sizes must be positive integers, got [${o.hidden}]`);
  if (!Number.isInteger(o.depth) || o.depth < 8 || (o.depth - 2) % 6 !== 0) {
    throw new ArchitectureError(`resnet depth must be 6n+2 (8, 14, 20, ...), got ${o.depth}`);
  }
  return o;
}

/**
 * Builds the layer program of architecture `arch` for `input` and `classes`.
 * Returns the program; throws `ArchitectureError` for invalid options or an input too small.
 *
 * - mlp: flatten, then dense+ReLU(+dropout) per hidden size, then the classifier (`layers.N`).
 * - lenet5: conv 5x5 (6) + ReLU + max-pool, conv 5x5 (16) + ReLU + max-pool, dense 120, 84, classes
 *   (`conv1`, `conv2`, `fc1`..`fc3`); a 28x28 input is padded by 2 so that both inputs give 16x5x5.
 * - vgg: stages of 3x3 convs (+BN) + ReLU, a 2x2 max-pool after each stage, then dense 256 and the
 *   classifier (`features.N`, `classifier.N` as torchvision).
 * - alexnet: CIFAR-sized AlexNet: convs 64 (5x5), 192 (5x5), 384, 256, 256 (3x3) with three max-pools,
 *   then dense 1024, 512 and the classifier.
 * - resnet: CIFAR ResNet-(6n+2): conv 3x3 (16) + BN, three stages of n basic blocks (16, 32, 64
 *   channels; stride 2 and a 1x1 conv + BN projection shortcut where the shape changes, identity
 *   elsewhere), global average pool, classifier (torchvision names).
 */
export function buildProgram(arch: string, input: InputShape, classes: number, options: ArchitectureOptions = {}): Program {
  const o = validate(options);
  const b = new ProgramBuilder(input);
  const w = (n: number) => scaled(n, o.width);
  switch (arch) {
    case 'mlp': {
      b.flattenSpatial();
      o.hidden.forEach((size, i) => {
        b.dense(`layers.${i}`, w(size)).relu().dropout(o.dropout);
      });
      b.dense(`layers.${o.hidden.length}`, classes);
      break;
    }
    case 'lenet5': {
      const pad = input.height === 28 && input.width === 28 ? 2 : 0;
      b.conv('conv1', w(6), 5, 1, pad).relu().maxPool();
      b.conv('conv2', w(16), 5, 1, 0).relu().maxPool();
      b.flattenSpatial();
      b.dense('fc1', w(120)).relu().dropout(o.dropout);
      b.dense('fc2', w(84)).relu().dropout(o.dropout);
      b.dense('fc3', classes);
      break;
    }
    case 'vgg': {
      let index = 0;
      for (const stage of o.stages) {
        for (const channels of stage) {
          b.conv(`features.${index++}`, w(channels), 3);
          if (o.batchNorm) b.batchNorm(`features.${index++}`);
          b.relu();
          index++;
        }
        b.maxPool();
        index++;
      }
      b.flattenSpatial().dropout(o.dropout);
      b.dense('classifier.0', w(256)).relu().dropout(o.dropout);
      b.dense('classifier.3', classes);
      break;
    }
    case 'alexnet': {
      b.conv('features.0', w(64), 5).relu().maxPool();
      b.conv('features.3', w(192), 5).relu().maxPool();
      b.conv('features.6', w(384), 3).relu();
      b.conv('features.8', w(256), 3).relu();
      b.conv('features.10', w(256), 3).relu().maxPool();
      b.flattenSpatial().dropout(o.dropout);
      b.dense('classifier.1', w(1024)).relu().dropout(o.dropout);
      b.dense('classifier.4', w(512)).relu();
      b.dense('classifier.6', classes);
      break;
    }
    case 'resnet': {
      const blocks = (o.depth - 2) / 6;
      // Convs followed by batch-norm carry no bias (its shift is the batch-norm's beta), as in torchvision.
      b.conv('conv1', w(16), 3, 1, 1, false).batchNorm('bn1').relu();
      [16, 32, 64].forEach((base, stage) => {
        for (let i = 0; i < blocks; i++) {
          const stride = stage > 0 && i === 0 ? 2 : 1;
          const out = w(base);
          const prefix = `layer${stage + 1}.${i}`;
          const needsProjection = stride !== 1 || b.channels !== out;
          b.residual(
            (body) =>
              body
                .conv(`${prefix}.conv1`, out, 3, stride, 1, false)
                .batchNorm(`${prefix}.bn1`)
                .relu()
                .conv(`${prefix}.conv2`, out, 3, 1, 1, false)
                .batchNorm(`${prefix}.bn2`),
            (shortcut) => {
              if (needsProjection) shortcut.conv(`${prefix}.downsample.0`, out, 1, stride, 0, false).batchNorm(`${prefix}.downsample.1`);
            },
          );
          b.relu();
        }
      });
      b.globalAvgPool().dropout(o.dropout);
      b.dense('fc', classes);
      break;
    }
    default:
      throw new ArchitectureError(`unknown architecture ${JSON.stringify(arch)}; choose one of ${ARCHITECTURES.join(', ')}`);
  }
  return { arch: arch as ArchitectureName, input, classes, layers: b.layers };
}

/** Every parameterised layer of a program, depth first (residual body before shortcut). */
export function parameterLayers(layers: readonly Layer[]): Extract<Layer, { name: string }>[] {
  const out: Extract<Layer, { name: string }>[] = [];
  for (const layer of layers) {
    if (layer.op === 'residual') out.push(...parameterLayers(layer.body), ...parameterLayers(layer.shortcut));
    else if ('name' in layer) out.push(layer);
  }
  return out;
}
