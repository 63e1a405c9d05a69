/**
 * torchvision's ResNet-50 (v1.5: stride on the 3x3 conv of a bottleneck) as tensor names
 * and shapes in state_dict order, and random weights in that layout for benchmarks.
 */
import { makeTensor } from '../src/checkpoint/tensor.js';
import type { Tensor } from '../src/checkpoint/tensor.js';
import type { Rng } from '../src/util/random.js';

/** One tensor of the layout; `kind` says how to fill it. */
export interface ResNetEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: 'conv' | 'dense' | 'bias' | 'gamma' | 'beta' | 'mean' | 'var' | 'count';
}

/** ResNet-50 for 3-channel input and 1000 classes: 25,557,032 parameters, 53 convs, 16 bottlenecks. */
export function resnet50Layout(): ResNetEntry[] {
  const out: ResNetEntry[] = [{ name: 'conv1.weight', shape: [64, 3, 7, 7], kind: 'conv' }];
  const bn = (name: string, c: number): void => {
    out.push(
      { name: `${name}.weight`, shape: [c], kind: 'gamma' },
      { name: `${name}.bias`, shape: [c], kind: 'beta' },
      { name: `${name}.running_mean`, shape: [c], kind: 'mean' },
      { name: `${name}.running_var`, shape: [c], kind: 'var' },
      { name: `${name}.num_batches_tracked`, shape: [], kind: 'count' },
    );
  };
  bn('bn1', 64);
  let channels = 64;
  [3, 4, 6, 3].forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${stage + 1}.${b}`;
      out.push({ name: `${p}.conv1.weight`, shape: [width, channels, 1, 1], kind: 'conv' });
      bn(`${p}.bn1`, width);
      out.push({ name: `${p}.conv2.weight`, shape: [width, width, 3, 3], kind: 'conv' });
      bn(`${p}.bn2`, width);
      out.push({ name: `${p}.conv3.weight`, shape: [4 * width, width, 1, 1], kind: 'conv' });
      bn(`${p}.bn3`, 4 * width);
      if (b === 0) {
        out.push({ name: `${p}.downsample.0.weight`, shape: [4 * width, channels, 1, 1], kind: 'conv' });
        bn(`${p}.downsample.1`, 4 * width);
      }
      channels = 4 * width;
    }
  });
  out.push({ name: 'fc.weight', shape: [1000, 2048], kind: 'dense' }, { name: 'fc.bias', shape: [1000], kind: 'bias' });
  return out;
}

/** Random float32 weights for `resnet50Layout()`: He-normal convs and fc, batch-norm statistics in trained-looking ranges. */
export function resnet50Tensors(rng: Rng): Tensor[] {
  return resnet50Layout().map(({ name, shape, kind }) => {
    if (kind === 'count') return makeTensor(name, 'I64', shape, new BigInt64Array([1000n]));
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      switch (kind) {
        case 'conv':
        case 'dense':
          data[i] = rng.normal() * Math.sqrt(2 / fanIn);
          break;
        case 'gamma':
          data[i] = 0.5 + rng.uniform();
          break;
        case 'var':
          data[i] = 0.1 + rng.uniform();
          break;
        default:
          data[i] = 0.1 * rng.normal();
      }
    }
    return makeTensor(name, 'F32', shape, data);
  });
}
