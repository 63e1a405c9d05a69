import { describe, expect, it } from 'vitest';
import { ArchitectureError, buildProgram, parameterLayers } from '../../src/train/architectures.js';
import type { Layer } from '../../src/train/architectures.js';

const rgb32 = { height: 32, width: 32, channels: 3 };
const grey28 = { height: 28, width: 28, channels: 1 };

/** Nodes of the rolled graph: input channels plus the outputs of every conv and dense layer. */
function rolledNodes(input: { channels: number }, layers: readonly Layer[]): number {
  return input.channels + parameterLayers(layers).reduce((n, l) => n + (l.op === 'conv2d' ? l.outChannels : l.op === 'dense' ? l.outFeatures : 0), 0);
}

describe('architectures', () => {
  it('builds LeNet-5 with the method reference sizes on 3-channel 32x32 input', () => {
    const program = buildProgram('lenet5', rgb32, 10);
    const layers = parameterLayers(program.layers);
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    const fc1 = layers[2];
    expect(fc1).toMatchObject({ op: 'dense', inFeatures: 400, outFeatures: 120, flattenedFrom: [16, 5, 5] });
    expect(rolledNodes(rgb32, program.layers)).toBe(239);
  });

  it('pads LeNet-5 on 28x28 input so that the flatten is 16x5x5 too', () => {
    const fc1 = parameterLayers(buildProgram('lenet5', grey28, 10).layers)[2];
    expect(fc1).toMatchObject({ inFeatures: 400, flattenedFrom: [16, 5, 5] });
  });

  it('scales widths and inserts dropout where asked', () => {
    const program = buildProgram('mlp', grey28, 10, { hidden: [100, 50], width: 2, dropout: 0.5 });
    expect(parameterLayers(program.layers).map((l) => (l.op === 'dense' ? [l.inFeatures, l.outFeatures] : []))).toEqual([
      [784, 200],
      [200, 100],
      [100, 10],
    ]);
    expect(program.layers.filter((l) => l.op === 'dropout')).toHaveLength(2);
  });

  it('builds CIFAR ResNet-8 with identity shortcuts in stage 1 and projections where the shape changes', () => {
    const program = buildProgram('resnet', rgb32, 10, { depth: 8 });
    const blocks = program.layers.filter((l): l is Extract<Layer, { op: 'residual' }> => l.op === 'residual');
    expect(blocks).toHaveLength(3);
    expect(blocks[0].shortcut).toEqual([]);
    expect(parameterLayers(blocks[1].shortcut).map((l) => l.name)).toEqual(['layer2.0.downsample.0', 'layer2.0.downsample.1']);
    expect(parameterLayers(blocks[2].body)[0]).toMatchObject({ name: 'layer3.0.conv1', stride: 2, inChannels: 32, outChannels: 64, bias: false });
    const names = parameterLayers(program.layers).map((l) => l.name);
    expect(names[0]).toBe('conv1');
    expect(names.at(-1)).toBe('fc');
    expect(parameterLayers(buildProgram('resnet', rgb32, 10, { depth: 20 }).layers).filter((l) => l.op === 'conv2d')).toHaveLength(19 + 2);
  });

  it('builds VGG with configurable stages and batch-norm, and CIFAR AlexNet', () => {
    const vgg = buildProgram('vgg', rgb32, 10, { stages: [[8], [16, 16]], batchNorm: true });
    expect(parameterLayers(vgg.layers).map((l) => l.op)).toEqual(['conv2d', 'batchnorm', 'conv2d', 'batchnorm', 'conv2d', 'batchnorm', 'dense', 'dense']);
    const alex = buildProgram('alexnet', rgb32, 10);
    expect(parameterLayers(alex.layers).filter((l) => l.op === 'conv2d')).toHaveLength(5);
    expect(parameterLayers(alex.layers).find((l) => l.name === 'classifier.1')).toMatchObject({ inFeatures: 256 * 4 * 4 });
  });

  it('refuses invalid options and inputs too small', () => {
    expect(() => buildProgram('resnet', rgb32, 10, { depth: 10 })).toThrow(/6n\+2/);
    expect(() => buildProgram('mlp', grey28, 10, { width: 0 })).toThrow(ArchitectureError);
    expect(() => buildProgram('lenet5', { height: 8, width: 8, channels: 1 }, 10)).toThrow(/too small/);
    expect(() => buildProgram('transformer', rgb32, 10)).toThrow(/unknown architecture "transformer"/);
  });
});
