/**
 * The ONNX, Keras, tfjs and NumPy readers on fixtures made by the real tools
 * (scripts/make-import-fixtures.py, scripts/make-tfjs-fixtures.ts): format detection by
 * content, values against numpy's, and graph properties against those of the same
 * network's PyTorch state_dict with its explicit architecture spec.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCheckpointFormat, openCheckpoint, readCheckpoint } from '../../src/checkpoint/open.js';
import { openNpyRows } from '../../src/checkpoint/numpy.js';
import { tensorToFloat64 } from '../../src/checkpoint/tensor.js';
import { CheckpointError } from '../../src/errors.js';
import { readArchitectureSpec } from '../../src/graph/architecture-source.js';
import { checkpointProperties } from '../../src/properties/compute.js';
import type { GraphProperties } from '../../src/properties/compute.js';
import { listFiles, runCli, tempDir } from '../helpers.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'import');
const at = (name: string): string => join(FIXTURES, name);

/** Copies a fixture to a name without extension, so that only its content can reveal its format. */
function anonymous(name: string): string {
  const file = join(tempDir(), 'checkpoint');
  copyFileSync(at(name), file);
  return file;
}

describe('format detection', () => {
  it.each([
    ['resnet.onnx', 'onnx'],
    ['cnn.h5', 'keras'],
    ['cnn.keras', 'keras'],
    ['numpy/f4.npy', 'numpy'],
    ['numpy/compressed.npz', 'numpy'],
    ['cnn.pt', 'pytorch'],
  ])('recognises %s as %s by its content', async (name, format) => {
    expect(await detectCheckpointFormat(anonymous(name))).toBe(format);
  });

  it('recognises a tfjs model.json by its content', async () => {
    expect(await detectCheckpointFormat(at('cnn-tfjs-layers/model.json'))).toBe('tfjs');
  });

  it('refuses a file that is none of them, naming every supported format', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'just some text, not weights\n');
    const error = await openCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}: not a checkpoint format epochgraph reads; supported: safetensors, PyTorch .*ONNX .*Keras .*tfjs .*NumPy`));
  });
});

interface NumpyExpected {
  shape: number[];
  values: number[];
}

describe('NumPy reader', () => {
  const expected = JSON.parse(readFileSync(at('numpy/expected.json'), 'utf8')) as Record<string, NumpyExpected>;
  const dtypes: Record<string, string> = { f4: 'F32', f8_fortran: 'F64', f2: 'F16', f4_big: 'F32', i8: 'I64', i4: 'I32', u1: 'U8', b1: 'BOOL', cube_fortran: 'F32' };

  for (const [key, want] of Object.entries(expected)) {
    it(`reads ${key}.npy as numpy wrote it (dtype, shape, row-major values)`, async () => {
      const { tensors } = await readCheckpoint(at(`numpy/${key}.npy`));
      expect(tensors).toHaveLength(1);
      expect(tensors[0].name).toBe(key);
      expect(tensors[0].dtype).toBe(dtypes[key]);
      expect(tensors[0].shape).toEqual(want.shape);
      expect(Array.from(tensorToFloat64(tensors[0]))).toEqual(want.values);
    });
  }

  it.each(['stored.npz', 'compressed.npz'])('reads every array of %s', async (name) => {
    const { tensors } = await readCheckpoint(at(`numpy/${name}`));
    expect(tensors.map((t) => t.name).sort()).toEqual(Object.keys(expected).sort());
    for (const t of tensors) expect(Array.from(tensorToFloat64(t))).toEqual(expected[t.name].values);
  });

  it('streams blocks of rows of a C-order and of a Fortran-order matrix alike', async () => {
    for (const name of ['f4', 'f8_fortran']) {
      const rows = await openNpyRows(at(`numpy/${name}.npy`));
      const block = await rows.read(1, 2);
      await rows.close();
      expect(Array.from(block as ArrayLike<number>)).toEqual(expected[name].values.slice(4, 12));
    }
  });

  it.each([
    ['a truncated array', (b: Buffer) => b.subarray(0, b.length - 3), /truncated: F32 \[3, 4\] needs 48 data bytes, 45 present/],
    ['an object array', (b: Buffer) => Buffer.from(b.toString('latin1').replace("'<f4'", "'|O8'"), 'latin1'), /object arrays/],
    ['a structured dtype', (b: Buffer) => Buffer.from(b.toString('latin1').replace("'descr': '<f4'", "'descr': [('a','<f4')]"), 'latin1'), /structured/],
  ])('refuses %s with an error naming the file', async (_, corrupt, message) => {
    const file = join(tempDir(), 'bad.npy');
    writeFileSync(file, corrupt(readFileSync(at('numpy/f4.npy'))));
    const error = await readCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

/** Graph properties of a checkpoint, with an optional spec file. */
async function properties(file: string, spec?: string): Promise<GraphProperties> {
  const architecture = spec ? await readArchitectureSpec(spec) : undefined;
  return (await checkpointProperties(file, { architecture })).properties;
}

/** Expects equal graph properties: same structure, values equal to `digits` significant digits. */
function expectSameProperties(actual: GraphProperties, reference: GraphProperties, relative: number): void {
  expect(actual.nodes).toBe(reference.nodes);
  expect(actual.edges).toBe(reference.edges);
  const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(b)));
  close(actual.totalWeight, reference.totalWeight);
  close(actual.spectralRadius, reference.spectralRadius);
  expect(actual.layers.map((l) => [l.kind, l.size])).toEqual(reference.layers.map((l) => [l.kind, l.size]));
  actual.layers.forEach((layer, i) => {
    const want = reference.layers[i].aggregates;
    for (const key of ['strengthIn', 'strengthOut', 'eigenvector', 'pagerank'] as const) {
      close(layer.aggregates[key].mean, want[key].mean);
      close(layer.aggregates[key].max, want[key].max);
    }
  });
}

describe('graph properties equal those of the PyTorch state_dict with its explicit spec', () => {
  const sources: [string, string, number][] = [
    // torch.onnx.export in eval mode folds batch-norm into the convolutions: float32 rounding differs.
    ['resnet', 'resnet.onnx', 1e-6],
    ['mlp', 'mlp.onnx', 0],
    ['cnn', 'cnn.onnx', 0],
    ['mlp', 'mlp.h5', 0],
    ['mlp', 'mlp.keras', 0],
    ['mlp', 'mlp-tfjs-layers/model.json', 0],
    ['mlp', 'mlp-tfjs-graph/model.json', 0],
    ['cnn', 'cnn.h5', 0],
    ['cnn', 'cnn.keras', 0],
    ['cnn', 'cnn-tfjs-layers/model.json', 0],
    ['cnn', 'cnn-tfjs-graph/model.json', 0],
  ];
  for (const [net, file, relative] of sources) {
    it(`${file} (no spec given) against ${net}.pt + ${net}.spec.json`, async () => {
      const reference = await properties(at(`${net}.pt`), at(`${net}.spec.json`));
      const actual = await properties(at(file));
      expectSameProperties(actual, reference, relative);
    });
  }

  it('takes a residual network\'s architecture from the ONNX graph, skip connections included', async () => {
    const reader = await openCheckpoint(at('resnet.onnx'));
    const { architectureFromMetadata } = await import('../../src/graph/architecture-source.js');
    const spec = architectureFromMetadata(reader.metadata);
    await reader.close();
    const types = spec?.layers.map((l) => l.type) ?? [];
    expect(types.filter((t) => t === 'add')).toHaveLength(2);
    expect(types.filter((t) => t === 'conv')).toHaveLength(6);
    expect(types).not.toContain('batchnorm');
  });

  it('converts Keras and tfjs weights to the PyTorch layout value for value', async () => {
    const torch = await readCheckpoint(at('cnn.pt'));
    for (const file of ['cnn.h5', 'cnn.keras', 'cnn-tfjs-layers/model.json']) {
      const other = await readCheckpoint(at(file));
      expect(other.tensors.map((t) => t.shape)).toEqual(torch.tensors.map((t) => t.shape));
      other.tensors.forEach((t, i) => expect(Array.from(t.data as Float32Array)).toEqual(Array.from(torch.tensors[i].data as Float32Array)));
    }
  });
});

describe('bad model files', () => {
  it('refuses a truncated ONNX model with an error naming it', async () => {
    const file = join(tempDir(), 'model.onnx');
    writeFileSync(file, readFileSync(at('resnet.onnx')).subarray(0, 3000));
    const error = await readCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}: not a valid ONNX model`));
  });

  it('refuses a truncated Keras HDF5 file with HDF5\'s reason on one line', async () => {
    const file = join(tempDir(), 'model.h5');
    writeFileSync(file, readFileSync(at('cnn.h5')).subarray(0, 5000));
    const error = await readCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(`${file}: not a readable HDF5 file (truncated file: eof = 5000, sblock->base_addr = 0, stored_eof = 19744)`);
  });

  it('names the missing weight shard of a tfjs model', async () => {
    const dir = tempDir();
    copyFileSync(at('mlp-tfjs-layers/model.json'), join(dir, 'model.json'));
    const error = await readCheckpoint(join(dir, 'model.json')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(`${join(dir, 'weights.bin')}: cannot read weight shard (ENOENT)`);
  });

  it('refuses a zip archive that is no model, saying what it holds', async () => {
    const file = join(tempDir(), 'weights.zip');
    // A stored .npz whose member is renamed: a zip with neither data.pkl, model.weights.h5 nor .npy members.
    writeFileSync(file, Buffer.from(readFileSync(at('numpy/stored.npz')).toString('latin1').replaceAll('f4.npy', 'f4.txt'), 'latin1'));
    const error = await readCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/zip archive is none of the supported kinds .* it holds "f4.txt", "f8_fortran.npy"/);
  });

  it('exits 2 with one line and writes nothing when the CLI is given an unknown file', async () => {
    const dir = tempDir();
    const file = join(dir, 'model.bin');
    writeFileSync(file, Buffer.alloc(64, 7));
    const { code, stdout, stderr } = await runCli(['inspect-checkpoint', file], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/not a checkpoint format epochgraph reads; supported:/);
    expect(listFiles(dir)).toEqual(['model.bin']);
  });

  it('lists an ONNX model\'s initializers with inspect-checkpoint', async () => {
    const { code, stdout } = await runCli(['inspect-checkpoint', at('mlp.onnx'), '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { format: string; tensors: { name: string; shape: number[] }[] };
    expect(parsed.format).toBe('onnx');
    expect(parsed.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['fc1.weight', [5, 6]],
      ['fc1.bias', [5]],
      ['fc2.weight', [3, 5]],
      ['fc2.bias', [3]],
    ]);
  });
});

describe('ONNX graphs as architectures', () => {
  const node = (op: string, inputs: string[], outputs: string[], attributes = {}) => ({ name: `${op}_${outputs[0]}`, op, inputs, outputs, attributes });

  it('makes a MatMul followed by an Add of an initializer one dense layer with a bias', async () => {
    const { architectureFromOnnx } = await import('../../src/graph/onnx.js');
    const spec = architectureFromOnnx(
      { inputs: [{ name: 'x', shape: [null, 4] }], outputs: ['y'], nodes: [node('MatMul', ['x', 'W'], ['a']), node('Add', ['a', 'b'], ['h']), node('Relu', ['h'], ['y'])] },
      'test.onnx',
    );
    expect(spec.layers).toEqual([
      { type: 'input', name: 'input', channels: 4 },
      { type: 'dense', name: 'MatMul_a', input: 'input', weight: 'W', bias: 'b' },
      { type: 'activation', name: 'Relu_y', input: 'MatMul_a' },
    ]);
  });

  it('refuses an operator it cannot map, naming the node', async () => {
    const { architectureFromOnnx } = await import('../../src/graph/onnx.js');
    const topology = { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: ['y'], nodes: [node('Conv', ['x', 'W'], ['a']), node('Concat', ['a', 'x'], ['y'], { axis: 1 })] };
    expect(() => architectureFromOnnx(topology, 'test.onnx')).toThrow(/^graph: test.onnx: node "Concat_y" \(Concat\): operator Concat on the data path is not supported .*; give an architecture spec/);
  });
});
