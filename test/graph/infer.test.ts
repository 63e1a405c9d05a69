import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/errors.js';
import { inferArchitecture } from '../../src/graph/infer.js';
import type { NamedShape } from '../../src/graph/infer.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { resnet50Layout } from '../../bench/resnet50.js';
import { lenet5, loadFixture, tensor } from './fixtures.js';

const shapes = (entries: [string, number[]][]): NamedShape[] => entries.map(([name, shape]) => ({ name, shape }));

describe('architecture inference', () => {
  it('reads a plain chain, with a flatten whose positions come from the first dense layer', () => {
    const spec = inferArchitecture(lenet5());
    expect(spec.layers.map((l) => l.type)).toEqual(['input', 'conv', 'conv', 'flatten', 'dense', 'dense', 'dense']);
    expect(spec.layers[0]).toEqual({ type: 'input', name: 'input', channels: 3 });
  });

  it('puts conv modules before dense ones when names sort classifier.* before features.*', () => {
    const spec = inferArchitecture(
      shapes([
        ['classifier.0.weight', [10, 32]],
        ['features.0.weight', [8, 3, 3, 3]],
        ['features.1.weight', [8]],
        ['features.1.running_var', [8]],
        ['features.3.weight', [2, 8, 3, 3]],
      ]),
    );
    expect(spec.layers.map((l) => l.name)).toEqual(['input', 'features.0', 'features.1', 'features.3', 'flatten', 'classifier.0']);
  });

  it('reads grouped and depthwise convs from their weight shapes', () => {
    const graph = buildRolledGraph([tensor('a.weight', [4, 2, 1, 1]), tensor('dw.weight', [4, 1, 3, 3]), tensor('g.weight', [6, 2, 1, 1])]);
    // depthwise: 4 edges; groups of 2 in, 3 out: 2 groups x 3 x 2
    expect(graph.edgeCount).toBe(8 + 4 + 12);
  });

  it('reads torchvision ResNet-50 names, with projection shortcuts merged into block outputs', () => {
    const spec = inferArchitecture(resnet50Layout());
    expect(spec.layers.filter((l) => l.type === 'add')).toHaveLength(16);
    expect(spec.layers.filter((l) => l.type === 'conv')).toHaveLength(53);
    expect(spec.layers.find((l) => l.name === 'layer2.0.conv2')).toMatchObject({ stride: 2, padding: 1 });
    expect(spec.layers.find((l) => l.name === 'layer2.0.downsample.0')).toMatchObject({ input: 'layer1.2.relu', stride: 2 });
    expect(spec.layers.find((l) => l.name === 'layer1.0.downsample.0')).not.toHaveProperty('stride');
  });

  it('reads the tiny torchvision-style resnet fixture with its batch-norms', async () => {
    const fixture = await loadFixture('resnet');
    const spec = inferArchitecture(fixture.checkpoint.tensors);
    expect(spec.layers.filter((l) => l.type === 'batchnorm')).toHaveLength(6);
    expect(spec.layers.at(-1)).toMatchObject({ type: 'dense', weight: 'fc.weight', bias: 'fc.bias' });
  });

  it.each([
    ['an unknown parameter', shapes([['a.weight', [2, 2]], ['a.scale', [2]]]), /tensor "a.scale" \[2\] is not a conv, dense or batch-norm parameter/],
    ['a chain whose shapes do not connect', shapes([['a.weight', [3, 2]], ['b.weight', [2, 4]]]), /dense "b.weight" \[2, 4\] does not fit the 3 features of "a"/],
    ['a flatten that does not divide', shapes([['c.weight', [3, 1, 3, 3]], ['d.weight', [2, 10]]]), /dense "d.weight" \[2, 10\] cannot read a flatten of the 3 channels of "c"/],
    ['a 1-D weight without running statistics', shapes([['ln.weight', [4]]]), /"ln.weight" \[4\] is not a conv or dense weight/],
    ['a ResNet without a classifier', shapes([['conv1.weight', [4, 3, 3, 3]], ['layer1.0.conv1.weight', [4, 4, 3, 3]], ['layer1.0.conv2.weight', [4, 4, 3, 3]]]), /torchvision-style ResNet without "fc" or "linear"/],
    ['a ResNet with stray modules', shapes([['conv1.weight', [4, 3, 3, 3]], ['layer1.0.conv1.weight', [4, 4, 3, 3]], ['layer1.0.conv2.weight', [4, 4, 3, 3]], ['fc.weight', [2, 4]], ['head.weight', [2, 2]]]), /module "head" does not fit the torchvision-style ResNet layout/],
    ['no tensors', shapes([]), /the checkpoint holds no tensors/],
  ])('refuses %s, saying how to give a spec', (_, entries, message) => {
    expect(() => inferArchitecture(entries)).toThrow(GraphError);
    expect(() => inferArchitecture(entries)).toThrow(message);
    expect(() => inferArchitecture(entries)).toThrow(/^graph: cannot infer the architecture: .*; give an architecture spec \(docs\/architecture-spec\.md\)$/);
  });

  it('reports a shape mismatch found while building as an inference failure', () => {
    // Inference accepts the chain; the flatten then needs 2 positions of 3 channels, not 7 features.
    const tensors = [tensor('c.weight', [3, 1, 1, 1]), tensor('c.bias', [7]), tensor('d.weight', [2, 6])];
    expect(() => buildRolledGraph(tensors)).toThrow(/^graph: cannot infer the architecture: layer "c" \(conv\): bias tensor "c.bias" has shape \[7\], expected \[3\]; give an architecture spec/);
  });
});
