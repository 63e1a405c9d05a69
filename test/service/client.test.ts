/**
 * `tfjsCheckpoint`: a tfjs LayersModel's weights as a safetensors body in PyTorch's layout,
 * checked element by element against the layouts' definitions.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsCheckpoint } from '../../src/client/index.js';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { readRolledGraph } from '../../src/graph/rolled.js';
import { tempDir } from '../helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tfjsCheckpoint', () => {
  it('names tensors by layer position and writes conv, dense and a dense after a channels-last flatten in PyTorch layout', async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 5 })],
    });
    const file = join(tempDir(), 'epoch.safetensors');
    writeFileSync(file, tfjsCheckpoint(model));
    const { tensors } = await readCheckpoint(file);
    // The reader lists safetensors names in natural order: layer by layer.
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['0.bias', 'F32', [3]],
      ['0.weight', 'F32', [3, 2, 3, 3]],
      ['2.bias', 'F32', [5]],
      ['2.weight', 'F32', [5, 12]],
    ]);
    const [kernel, , dense] = model.getWeights().map((w) => w.dataSync());
    const conv = tensors[1].data as Float32Array;
    // tfjs conv kernel [kh, kw, in, out]; PyTorch [out, in, kh, kw].
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) {
      expect(conv[((o * 2 + i) * 3 + y) * 3 + x]).toBe(kernel[((y * 3 + x) * 2 + i) * 3 + o]);
    }
    // tfjs dense kernel [in, out] with inputs in (position, channel) order (2x2 positions, 3 channels);
    // PyTorch [out, in] with inputs in (channel, position) order.
    const weight = tensors[3].data as Float32Array;
    for (let o = 0; o < 5; o++) for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) {
      expect(weight[o * 12 + c * 4 + p]).toBe(dense[(p * 3 + c) * 5 + o]);
    }
    // The graph builder reads it as the network it is: 2 input channels, 3 conv channels, 5 outputs.
    expect((await readRolledGraph(file)).layers.map((l) => l.size)).toEqual([2, 3, 5]);
  });
});
