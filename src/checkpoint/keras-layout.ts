/**
 * Keras weights in PyTorch's layout, shared by the Keras (HDF5, `.keras`) and tfjs readers.
 *
 * Keras stores (keras.io, "Layer weight shapes"; tf.keras and Keras 3 alike, channels-last):
 * - `Dense`: kernel `[in, out]`, bias `[out]`;
 * - `Conv1D/2D/3D`: kernel `[...kernel, in, out]`, bias `[out]`;
 * - `DepthwiseConv2D`: depthwise_kernel `[kh, kw, in, multiplier]`;
 * - `BatchNormalization`: gamma, beta, moving_mean, moving_variance, each `[channels]`.
 * PyTorch's layout (docs/run-format.md): dense `[out, in]`, conv `[out, in, ...kernel]`,
 * depthwise `[in * multiplier, 1, kh, kw]`, batch-norm `weight`, `bias`, `running_mean`,
 * `running_var`. A `Dense` reading a channels-last `Flatten` of a conv's maps has its input
 * rows in (position, channel) order; they are permuted to PyTorch's (channel, position).
 */
import { permuteAxes } from './permute.js';
import { makeTensor } from './tensor.js';
import type { DType, Tensor, TensorData } from './tensor.js';

/** One Keras weight as stored: its role in the layer (`kernel`, `bias`, `gamma`, ...) and values. */
export interface KerasWeight {
  readonly role: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** One layer's weights in Keras order. */
export interface KerasLayer {
  /** Layer name, the prefix of its tensors (`dense_1` -> `dense_1.weight`). */
  readonly name: string;
  /** Keras class name when known (`Dense`, `Conv2D`, ...), else inferred from the weights. */
  readonly className?: string;
  readonly weights: readonly KerasWeight[];
}

/** Keras weight role -> PyTorch parameter name. */
const ROLE_NAMES: Readonly<Record<string, string>> = {
  kernel: 'weight',
  depthwise_kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/** Positional roles of a layer's variables when only their order is stored (Keras 3 `vars/0`, `vars/1`, ...). */
export function rolesByPosition(className: string | undefined, shapes: readonly (readonly number[])[]): string[] {
  const kind = className ?? (shapes.length >= 3 && shapes.every((s) => s.length === 1) ? 'BatchNormalization' : 'Dense');
  if (kind === 'BatchNormalization') {
    // Keras creates gamma (scale=True) and beta (center=True) before the moving statistics.
    return (['gamma', 'beta', 'moving_mean', 'moving_variance'] as const).slice(4 - shapes.length);
  }
  if (kind === 'DepthwiseConv2D') return ['depthwise_kernel', 'bias'].slice(0, shapes.length);
  return ['kernel', 'bias'].slice(0, shapes.length);
}

/** The role a Keras weight name such as `dense/kernel:0` or `conv2d_1/bias` ends in. */
export function roleOfWeightName(name: string): string {
  return name.replace(/:\d+$/, '').split('/').at(-1) ?? name;
}

/**
 * Converts Keras layers (in model order) to PyTorch-named, PyTorch-layout tensors.
 * Returns them in model order; throws `Error` with `what` for a weight it cannot place.
 */
export function kerasToPytorch(layers: readonly KerasLayer[], what: (detail: string) => Error): Tensor[] {
  const tensors: Tensor[] = [];
  // Output channels of the last conv and whether a dense has read them since.
  let convChannels: number | undefined;
  for (const layer of layers) {
    for (const w of layer.weights) {
      const parameter = ROLE_NAMES[w.role];
      if (!parameter) throw what(`layer ${JSON.stringify(layer.name)}: weight role ${JSON.stringify(w.role)} has no PyTorch counterpart`);
      const name = `${layer.name}.${parameter}`;
      let { shape, data } = w;
      if (w.role === 'kernel' && shape.length === 2) {
        const [inputs, outputs] = shape;
        if (convChannels !== undefined && inputs !== convChannels && inputs % convChannels === 0) {
          // Channels-last flatten: row p * C + c becomes row c * P + p.
          const positions = inputs / convChannels;
          data = permuteAxes(data, [positions, convChannels, outputs], [1, 0, 2]);
        }
        data = permuteAxes(data, [inputs, outputs], [1, 0]);
        shape = [outputs, inputs];
        convChannels = undefined;
      } else if (w.role === 'kernel' && shape.length >= 3) {
        const rank = shape.length;
        const axes = [rank - 1, rank - 2, ...Array.from({ length: rank - 2 }, (_, k) => k)];
        data = permuteAxes(data, shape, axes);
        shape = axes.map((a) => w.shape[a]);
        convChannels = shape[0];
      } else if (w.role === 'depthwise_kernel') {
        if (shape.length !== 4) throw what(`layer ${JSON.stringify(layer.name)}: depthwise kernel must be 4-D, got [${shape.join(', ')}]`);
        const [kh, kw, channels, multiplier] = shape;
        data = permuteAxes(data, shape, [2, 3, 0, 1]);
        shape = [channels * multiplier, 1, kh, kw];
        convChannels = shape[0];
      }
      tensors.push(makeTensor(name, w.dtype, shape, data));
    }
  }
  return tensors;
}
