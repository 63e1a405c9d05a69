/**
 * Converts a training layer program into the graph engine's architecture spec
 * (docs/architecture-spec.md), which run.json and every checkpoint's metadata carry, so
 * that graphs of trained runs never depend on inferring structure from names.
 */
import { ARCHITECTURE_FORMAT } from '../graph/architecture.js';
import type { ArchitectureSpec, LayerSpec } from '../graph/architecture.js';
import type { Layer, Program } from './architectures.js';

/** The architecture spec of `program`: its layers in topological order, residual blocks as `add` layers. */
export function programToArchitectureSpec(program: Program): ArchitectureSpec {
  const layers: LayerSpec[] = [
    { type: 'input', name: 'input', channels: program.input.channels, size: [program.input.height, program.input.width] },
  ];
  let unnamed = 0;
  const fresh = (kind: string) => `${kind}${unnamed++}`;
  /** Appends `program` layers reading from layer `from`; returns the name of the last one. */
  const emit = (list: readonly Layer[], from: string): string => {
    let last = from;
    for (const layer of list) {
      const input = last;
      switch (layer.op) {
        case 'conv2d':
          layers.push({
            type: 'conv',
            name: layer.name,
            input,
            weight: `${layer.name}.weight`,
            ...(layer.bias ? { bias: `${layer.name}.bias` } : {}),
            stride: layer.stride,
            padding: layer.padding,
          });
          last = layer.name;
          break;
        case 'dense':
          layers.push({ type: 'dense', name: layer.name, input, weight: `${layer.name}.weight`, bias: `${layer.name}.bias` });
          last = layer.name;
          break;
        case 'batchnorm':
          layers.push({
            type: 'batchnorm',
            name: layer.name,
            input,
            weight: `${layer.name}.weight`,
            bias: `${layer.name}.bias`,
            running_mean: `${layer.name}.running_mean`,
            running_var: `${layer.name}.running_var`,
            eps: layer.eps,
          });
          last = layer.name;
          break;
        case 'maxpool':
          last = fresh('pool');
          layers.push({ type: 'pool', name: last, input, mode: 'max', kernel: layer.kernel, stride: layer.stride });
          break;
        case 'global_avgpool':
          last = fresh('pool');
          layers.push({ type: 'pool', name: last, input, mode: 'avg', output: 1 });
          break;
        case 'relu':
          last = fresh('relu');
          layers.push({ type: 'activation', name: last, input });
          break;
        case 'dropout':
          last = fresh('dropout');
          layers.push({ type: 'dropout', name: last, input });
          break;
        case 'flatten':
          last = fresh('flatten');
          layers.push({ type: 'flatten', name: last, input });
          break;
        case 'residual': {
          const body = emit(layer.body, input);
          const shortcut = emit(layer.shortcut, input);
          last = fresh('add');
          layers.push({ type: 'add', name: last, inputs: [body, shortcut] });
          break;
        }
      }
    }
    return last;
  };
  emit(program.layers, 'input');
  return { format: ARCHITECTURE_FORMAT, version: 1, layers };
}
