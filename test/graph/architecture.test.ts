import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { parseArchitectureSpec } from '../../src/graph/architecture.js';
import { architectureFromJson, architectureFromMetadata, ARCHITECTURE_METADATA_KEY, readArchitectureSpec } from '../../src/graph/architecture-source.js';
import { GraphError } from '../../src/graph/errors.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { tempDir } from '../helpers.js';
import { lenet5, LENET5_SPEC } from './fixtures.js';

const base = { format: 'epochgraph-architecture', version: 1 };

describe('architecture specs', () => {
  it('accept the LeNet-5 example', () => {
    expect(parseArchitectureSpec(JSON.parse(JSON.stringify(LENET5_SPEC)))).toEqual(LENET5_SPEC);
  });

  it.each([
    ['a non-object', [], /not a JSON object/],
    ['a wrong format', { ...base, format: 'x', layers: [] }, /"format" must be "epochgraph-architecture"/],
    ['a missing version', { format: base.format, layers: [] }, /"version" must be 1/],
    ['too few layers', { ...base, layers: [{ type: 'input', channels: 1 }] }, /at least two layers/],
    ['an unknown type', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'lstm' }] }, /layers\[1\]: "type" must be one of/],
    ['an unknown key', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'dense', weight: 'w', bais: 'b' }] }, /layers\[1\] \(dense\): unknown key "bais"/],
    ['an input not first', { ...base, layers: [{ type: 'dense', weight: 'w' }, { type: 'input', channels: 1 }] }, /layers\[0\] \(dense "dense0"\): the first layer, and only it, must be of type "input"/],
    ['a forward reference', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'dense', weight: 'w', input: 'later' }, { type: 'dense', name: 'later', weight: 'v' }] }, /input "later" is not a layer listed before it/],
    ['a duplicate name', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'dense', name: 'a', weight: 'w' }, { type: 'dense', name: 'a', weight: 'v' }] }, /duplicate layer name "a"/],
    ['a conv without weight', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'conv' }] }, /"weight" must name a tensor/],
    ['a pool without kernel or output', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'pool' }] }, /give exactly one of "kernel" and "output"/],
    ['a bad stride', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'conv', weight: 'w', stride: [1, 0] }] }, /"stride" must be a positive integer or a pair of them/],
    ['an add of one input', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'add', inputs: ['input'] }] }, /"inputs" must list at least two layers/],
    ['a negative eps', { ...base, layers: [{ type: 'input', channels: 1 }, { type: 'batchnorm', running_var: 'v', eps: -1 }] }, /"eps" must be a non-negative number/],
  ])('refuse %s', (_, value, message) => {
    expect(() => parseArchitectureSpec(value, 'spec.json')).toThrow(GraphError);
    expect(() => parseArchitectureSpec(value, 'spec.json')).toThrow(message);
    expect(() => parseArchitectureSpec(value, 'spec.json')).toThrow(/^graph: spec\.json: /);
  });

  it('report tensors the checkpoint lacks and shapes that do not fit', () => {
    const spec = (layers: object[]) => parseArchitectureSpec({ ...base, layers: [{ type: 'input', channels: 3 }, ...layers] });
    expect(() => buildRolledGraph(lenet5(), { architecture: spec([{ type: 'conv', weight: 'nope' }]) })).toThrow(
      'graph: layer "conv1" (conv): weight tensor "nope" is not in the checkpoint',
    );
    expect(() => buildRolledGraph(lenet5(), { architecture: spec([{ type: 'conv', weight: 'conv2.weight' }]) })).toThrow(
      'graph: layer "conv1" (conv): weight [16, 6, 5, 5] does not fit 3 input channels',
    );
    expect(() => buildRolledGraph(lenet5(), { architecture: spec([{ type: 'conv', weight: 'conv1.weight' }, { type: 'dense', weight: 'fc1.weight' }]) })).toThrow(
      'graph: layer "dense2" (dense): reads feature maps; add a flatten layer before it',
    );
  });

  it('are found in run.json (config.architecture or architecture), files and checkpoint metadata', async () => {
    const dir = tempDir();
    const run = { id: 'r', config: { lr: 0.1 }, history: [], architecture: LENET5_SPEC };
    expect(architectureFromJson(run)).toEqual(LENET5_SPEC);
    expect(architectureFromJson({ id: 'r', config: { architecture: LENET5_SPEC }, history: [] })).toEqual(LENET5_SPEC);
    expect(architectureFromJson({ id: 'r', config: {}, history: [] })).toBeUndefined();
    writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
    writeFileSync(join(dir, 'empty-run.json'), JSON.stringify({ id: 'r', config: {}, history: [] }));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(LENET5_SPEC));
    expect(await readArchitectureSpec(join(dir, 'run.json'))).toEqual(LENET5_SPEC);
    expect(await readArchitectureSpec(join(dir, 'spec.json'))).toEqual(LENET5_SPEC);
    await expect(readArchitectureSpec(join(dir, 'empty-run.json'))).rejects.toThrow(/the run has no config.architecture or architecture/);
    await expect(readArchitectureSpec(join(dir, 'missing.json'))).rejects.toThrow(GraphError);

    const metadata = { [ARCHITECTURE_METADATA_KEY]: JSON.stringify(LENET5_SPEC) };
    expect(architectureFromMetadata(metadata)).toEqual(LENET5_SPEC);
    expect(architectureFromMetadata({})).toBeUndefined();
    expect(() => architectureFromMetadata({ [ARCHITECTURE_METADATA_KEY]: '{' })).toThrow(/epochgraph.architecture is not valid JSON/);
    const checkpoint: Checkpoint = { path: 'x.safetensors', format: 'safetensors', metadata, tensors: lenet5() };
    const graph = buildRolledGraph(checkpoint);
    expect(graph.architectureSource).toBe('checkpoint');
    expect(graph.architecture).toEqual(LENET5_SPEC);
  });
});
