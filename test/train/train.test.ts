import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { readRun } from '../../src/checkpoint/run.js';
import { tensorToFloat32 } from '../../src/checkpoint/tensor.js';
import type { Tensor } from '../../src/checkpoint/tensor.js';
import { buildProgram } from '../../src/train/architectures.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { parseCheckpointPolicy } from '../../src/train/checkpoint-policy.js';
import { resolveConfig } from '../../src/train/config.js';
import type { Dataset } from '../../src/train/datasets/index.js';
import { Model } from '../../src/train/model.js';
import { evaluationIndices, trainRun } from '../../src/train/train.js';
import { createRng } from '../../src/util/random.js';
import { programToArchitectureSpec } from '../../src/train/spec.js';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { reproducibleBytes, tempDir } from '../helpers.js';

/** Four classes told apart by which image quadrant is bright, plus noise: learnable in a few epochs. */
function quadrants(height: number, width: number, channels: number, count: number, seed: number): Dataset {
  const rng = createRng(seed);
  const make = (n: number) => {
    const images = new Float32Array(n * height * width * channels);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % 4;
      labels[i] = label;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let c = 0; c < channels; c++) {
            const inside = (y < height / 2) === label < 2 && (x < width / 2) === (label % 2 === 0);
            images[((i * height + y) * width + x) * channels + c] = (inside ? 1 : -0.5) + 0.5 * rng.normal();
          }
    }
    return { images, labels, count: n };
  };
  return { name: 'quadrants', height, width, channels, classes: 4, train: make(count), test: make(64) };
}

beforeAll(async () => {
  await useTrainingBackend();
});

/** Reference forward pass in plain JS on PyTorch-layout (NCHW) weights, for LeNet-5. */
function referenceLenet(state: Map<string, Float32Array>, input: Float32Array, h: number, w: number, c: number): Float32Array {
  // input is NHWC for one image; convert to CHW.
  let x = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) x[(ch * h + y) * w + xx] = input[(y * w + xx) * c + ch];
  let [C, H, W] = [c, h, w];
  const conv = (name: string, out: number, k: number, pad: number) => {
    const weight = state.get(`${name}.weight`) as Float32Array;
    const bias = state.get(`${name}.bias`) as Float32Array;
    const oh = H + 2 * pad - k + 1;
    const ow = W + 2 * pad - k + 1;
    const y = new Float32Array(out * oh * ow);
    for (let o = 0; o < out; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let sum = bias[o];
          for (let ci = 0; ci < C; ci++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const yy = i + ky - pad;
                const xx = j + kx - pad;
                if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                sum += weight[((o * C + ci) * k + ky) * k + kx] * x[(ci * H + yy) * W + xx];
              }
          y[(o * oh + i) * ow + j] = Math.max(0, sum);
        }
    [x, C, H, W] = [y, out, oh, ow];
  };
  const pool = () => {
    const y = new Float32Array(C * (H / 2) * (W / 2));
    for (let ch = 0; ch < C; ch++)
      for (let i = 0; i < H / 2; i++)
        for (let j = 0; j < W / 2; j++)
          y[(ch * (H / 2) + i) * (W / 2) + j] = Math.max(
            x[(ch * H + 2 * i) * W + 2 * j],
            x[(ch * H + 2 * i) * W + 2 * j + 1],
            x[(ch * H + 2 * i + 1) * W + 2 * j],
            x[(ch * H + 2 * i + 1) * W + 2 * j + 1],
          );
    [x, H, W] = [y, H / 2, W / 2];
  };
  const dense = (name: string, relu: boolean) => {
    const weight = state.get(`${name}.weight`) as Float32Array;
    const bias = state.get(`${name}.bias`) as Float32Array;
    const y = new Float32Array(bias.length);
    for (let o = 0; o < bias.length; o++) {
      let sum = bias[o];
      for (let i = 0; i < x.length; i++) sum += weight[o * x.length + i] * x[i];
      y[o] = relu ? Math.max(0, sum) : sum;
    }
    x = y;
  };
  conv('conv1', 6, 5, h === 28 ? 2 : 0);
  pool();
  conv('conv2', 16, 5, 0);
  pool();
  dense('fc1', true);
  dense('fc2', true);
  dense('fc3', false);
  return x;
}

describe('model export', () => {
  it('exports PyTorch layouts whose NCHW forward pass reproduces the tfjs logits', () => {
    const program = buildProgram('lenet5', { height: 32, width: 32, channels: 3 }, 10);
    const model = new Model(program, 'kaiming', createRng(3));
    const rng = createRng(4);
    const input = Float32Array.from({ length: 32 * 32 * 3 }, () => rng.normal());
    const logits = tf.tidy(() => model.forward(tf.tensor4d(input, [1, 32, 32, 3]), false).dataSync());
    const state = model.stateDict();
    expect(state.map((t) => [t.name, t.shape])).toEqual([
      ['conv1.weight', [6, 3, 5, 5]],
      ['conv1.bias', [6]],
      ['conv2.weight', [16, 6, 5, 5]],
      ['conv2.bias', [16]],
      ['fc1.weight', [120, 400]],
      ['fc1.bias', [120]],
      ['fc2.weight', [84, 120]],
      ['fc2.bias', [84]],
      ['fc3.weight', [10, 84]],
      ['fc3.bias', [10]],
    ]);
    const graph = buildRolledGraph(state, { architecture: programToArchitectureSpec(program) });
    expect([graph.nodeCount, graph.edgeCount]).toEqual([239, 12954]);
    const reference = referenceLenet(new Map(state.map((t: Tensor) => [t.name, tensorToFloat32(t)])), input, 32, 32, 3);
    for (let i = 0; i < 10; i++) expect(logits[i]).toBeCloseTo(reference[i], 4);
    model.dispose();
  });
});

const base = { epochs: 3, batch_size: 32, optimizer: 'adam', lr: 0.003, seed: 1 } as const;

describe('training', () => {
  const cases: [string, Record<string, unknown>, [number, number, number]][] = [
    ['mlp', { hidden: [32] }, [12, 12, 1]],
    ['lenet5', {}, [28, 28, 1]],
    ['lenet5', { width: 0.5 }, [32, 32, 3]],
    ['vgg', { stages: [[8], [16]], batch_norm: true }, [16, 16, 3]],
    ['alexnet', { width: 0.125 }, [32, 32, 3]],
    ['resnet', { depth: 8, width: 0.5 }, [16, 16, 3]],
  ];
  for (const [arch, extra, [h, w, c]] of cases) {
    it(`trains ${arch} on ${h}x${w}x${c} and its training loss drops`, async () => {
      const out = tempDir();
      const config = resolveConfig({ ...base, arch, ...extra });
      const run = await trainRun(config, { out, dataset: quadrants(h, w, c, 256, 2) });
      const losses = run.history.map((e) => e.train_loss as number);
      expect(run.history.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      expect(losses[3]).toBeLessThan(losses[1]);
      expect(run.diverged_at_epoch).toBeUndefined();
      const saved = await readRun(out);
      expect(saved.checkpoints.map((k) => k.epoch)).toEqual([0, 1, 2, 3]);
      expect(saved.finalTestAcc).toBe(run.history[3].test_acc);
      // Every checkpoint carries its architecture: the graph builder needs no inference.
      const graph = buildRolledGraph(await readCheckpoint(saved.checkpoints[3].path));
      expect(graph.architectureSource).toBe('checkpoint');
      expect(graph.nodeCount).toBeGreaterThan(c + 4);
    }, 120_000);
  }

  it('keeps batch-norm running statistics in the checkpoint', async () => {
    const out = tempDir();
    await trainRun(resolveConfig({ ...base, epochs: 1, arch: 'resnet', depth: 8, width: 0.25 }), { out, dataset: quadrants(8, 8, 3, 64, 2) });
    const { tensors } = await readCheckpoint(join(out, 'checkpoints', 'epoch-0001.safetensors'));
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(byName.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect(Number((byName.get('bn1.num_batches_tracked')?.data as BigInt64Array)[0])).toBe(2);
    const runningVar = tensorToFloat32(byName.get('layer1.0.bn2.running_var') as Tensor);
    expect([...runningVar].some((v) => v !== 1)).toBe(true);
    expect(byName.get('layer2.0.downsample.0.weight')?.shape).toEqual([8, 4, 1, 1]);
  });

  it('is deterministic: the same configuration gives byte-identical checkpoints and run.json, wall-clock seconds apart', async () => {
    const config = resolveConfig({ ...base, arch: 'mlp', hidden: [16], dropout: 0.3, epochs: 2 });
    const dataset = quadrants(8, 8, 1, 128, 5);
    const a = tempDir();
    const b = tempDir();
    await trainRun(config, { out: a, id: 'same', dataset });
    await trainRun(config, { out: b, id: 'same', dataset });
    expect(reproducibleBytes(join(a, 'run.json'))).toEqual(reproducibleBytes(join(b, 'run.json')));
    // Only the wall-clock seconds of each trained epoch differ.
    const { history } = JSON.parse(readFileSync(join(a, 'run.json'), 'utf8')) as { history: { epoch: number; seconds?: number }[] };
    expect(history.map((h) => h.seconds === undefined)).toEqual([true, false, false]);
    for (const h of history.slice(1)) expect(h.seconds).toBeGreaterThan(0);
    for (const name of readdirSync(join(a, 'checkpoints'))) {
      expect(readFileSync(join(a, 'checkpoints', name))).toEqual(readFileSync(join(b, 'checkpoints', name)));
    }
    const other = tempDir();
    await trainRun({ ...config, seed: 2 }, { out: other, id: 'same', dataset });
    expect(readFileSync(join(other, 'checkpoints', 'epoch-0002.safetensors'))).not.toEqual(readFileSync(join(a, 'checkpoints', 'epoch-0002.safetensors')));
  });

  it('stops a diverging run, records where, and keeps it a valid run', async () => {
    const out = tempDir();
    const run = await trainRun(resolveConfig({ arch: 'mlp', hidden: [16], optimizer: 'sgd', lr: 1e6, epochs: 5, batch_size: 16 }), {
      out,
      dataset: quadrants(8, 8, 1, 128, 5),
    });
    expect(run.diverged_at_epoch).toBeGreaterThanOrEqual(1);
    const last = run.history.at(-1);
    expect(last?.epoch).toBe(run.diverged_at_epoch);
    expect(last?.train_loss).toBeNull();
    const saved = await readRun(out);
    expect(saved.diverged_at_epoch).toBe(run.diverged_at_epoch);
    expect(saved.checkpoints.at(-1)?.epoch).toBe(run.diverged_at_epoch);
  });

  it('evaluates a fixed subset with eval_limit: the same images every epoch and run, training untouched', async () => {
    const subset = evaluationIndices(64, 20);
    expect(subset.length).toBe(20);
    expect(new Set(subset).size).toBe(20);
    expect([...subset]).toEqual([...subset].sort((a, b) => a - b));
    expect([...evaluationIndices(64, 20)]).toEqual([...subset]);
    expect([...evaluationIndices(5, 20)]).toEqual([0, 1, 2, 3, 4]);
    expect([...evaluationIndices(5, null)]).toEqual([0, 1, 2, 3, 4]);

    // A run with eval_limit 20 reports on the test images a run without a limit sees when its test set is those 20 images.
    const config = resolveConfig({ ...base, arch: 'mlp', hidden: [16], epochs: 2 });
    const dataset = quadrants(8, 8, 1, 128, 5);
    const size = 8 * 8;
    const testSubset = {
      images: Float32Array.from([...subset].flatMap((i) => [...dataset.test.images.subarray(i * size, (i + 1) * size)])),
      labels: Uint8Array.from(subset, (i) => dataset.test.labels[i]),
      count: 20,
    };
    const limited = await trainRun({ ...config, eval_limit: 20 }, { out: tempDir(), dataset });
    const reference = await trainRun(config, { out: tempDir(), dataset: { ...dataset, test: testSubset } });
    expect(limited.history.map((e) => [e.test_loss, e.test_acc])).toEqual(reference.history.map((e) => [e.test_loss, e.test_acc]));
    expect(limited.history.slice(1).map((e) => e.train_loss)).toEqual(reference.history.slice(1).map((e) => e.train_loss));
    const twentieths = (acc: number | null) => Math.abs((acc as number) * 20 - Math.round((acc as number) * 20)) < 1e-9;
    expect(limited.history.every((e) => twentieths(e.test_acc))).toBe(true);
    // The epoch-0 training evaluation covers 20 of the 128 training images too.
    expect(twentieths(limited.history[0].train_acc)).toBe(true);
    expect(limited.history[0].train_loss).not.toBe(reference.history[0].train_loss);
  });

  it('keeps only the checkpoints asked for, and always the last', async () => {
    const out = tempDir();
    await trainRun(resolveConfig({ ...base, arch: 'mlp', hidden: [8], epochs: 5 }), {
      out,
      dataset: quadrants(8, 8, 1, 64, 5),
      keepCheckpoints: parseCheckpointPolicy('0-1,3,last'),
    });
    expect((await readRun(out)).checkpoints.map((c) => c.epoch)).toEqual([0, 1, 3, 5]);
  });
});
