import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import { runCli, tempDir } from '../helpers.js';

let run: string;
let checkpoint: string;

/** A 3-2-2 MLP whose weights are known, so edge weights and strengths can be checked by hand. */
beforeAll(async () => {
  run = tempDir();
  for (const epoch of [0, 1]) {
    const scale = epoch + 1;
    await writeSafetensors(join(run, 'checkpoints', `epoch-000${epoch}.safetensors`), [
      makeTensor('fc1.weight', 'F32', [2, 3], Float32Array.from([1, -2, 3, 4, 5, -6], (v) => v * scale)),
      makeTensor('fc1.bias', 'F32', [2], new Float32Array(2)),
      makeTensor('fc2.weight', 'F32', [2, 2], Float32Array.from([1, 1, -1, 2], (v) => v * scale)),
      makeTensor('fc2.bias', 'F32', [2], new Float32Array(2)),
    ]);
  }
  checkpoint = join(run, 'checkpoints', 'epoch-0000.safetensors');
  writeFileSync(join(run, 'run.json'), JSON.stringify({ id: 'g', config: {}, history: [] }));
});

describe('epochgraph graph', () => {
  it('writes the rolled graph as an edge list of |w|', async () => {
    const out = join(tempDir(), 'g.edges');
    const { code, stdout } = await runCli(['graph', checkpoint, '--format', 'edgelist', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/7 nodes, 10 edges/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').filter((l) => !l.startsWith('#'));
    const weights = lines.map((l) => Number(l.trim().split(/\s+/)[2])).sort((a, b) => a - b);
    expect(weights).toEqual([1, 1, 1, 1, 2, 2, 3, 4, 5, 6]);
  });

  it('refuses an unknown format with exit 2', async () => {
    const { code, stderr } = await runCli(['graph', checkpoint, '--format', 'gexf', '--out', join(tempDir(), 'x')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--format: expected one of json, edgelist, graphml/);
  });
});

describe('epochgraph properties', () => {
  it('reports per-layer strengths for a checkpoint as JSON', async () => {
    const { code, stdout } = await runCli(['properties', checkpoint, '--json', '--nodes']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.properties.nodes).toBe(7);
    expect(out.properties.totalWeight).toBe(26);
    const fc1 = out.properties.layers.find((l: { name: string }) => l.name === 'fc1');
    expect(fc1.aggregates.strengthIn.sum).toBe(21);
    expect(out.properties.values.strengthOut.slice(0, 3)).toEqual([5, 7, 9]);
  });

  it('reports every epoch of a run, and scales with the weights', async () => {
    const { code, stdout } = await runCli(['properties', run, '--epochs', '0-1', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1]);
    expect(out.epochs[1].properties.totalWeight).toBe(2 * out.epochs[0].properties.totalWeight);
    expect(out.epochs[1].properties.spectralRadius).toBeCloseTo(2 * out.epochs[0].properties.spectralRadius, 9);
  });

  it('exits 2 for an epoch the run lacks, and for --epochs on a file', async () => {
    const missing = await runCli(['properties', run, '--epochs', '0-3']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no checkpoint for epoch 2 of the window 0-3/);
    const onFile = await runCli(['properties', checkpoint, '--epochs', '0']);
    expect(onFile.code).toBe(2);
  });
});
