/**
 * The documented limits (docs/RELIABILITY.md): each refusal names the limit and the option
 * that raises it (the flag, on the command line), and raising it per call lets the input through.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS as CHECKPOINT_DEFAULTS } from '../../src/checkpoint/checkpoint.js';
import { openCheckpoint } from '../../src/checkpoint/open.js';
import { DEFAULTS as SAFETENSORS_DEFAULTS, writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import { LimitError, OptionError } from '../../src/errors.js';
import { MAX_EPOCH, parseEpochWindow } from '../../src/util/epochs.js';
import { DEFAULTS as GRID_DEFAULTS, parseGrid } from '../../src/zoo/grid.js';
import { runCli, tempDir } from '../helpers.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');

/** The tensor count of `file` opened with `options` (the reader closed again). */
async function tensorCount(file: string, options: Parameters<typeof openCheckpoint>[1] = {}): Promise<number> {
  const reader = await openCheckpoint(file, options);
  await reader.close();
  return reader.entries.length;
}

async function refused(action: () => Promise<unknown>): Promise<LimitError> {
  const error = await action().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LimitError);
  return error as LimitError;
}

describe('limits', () => {
  it('have frozen defaults: raised per call, never for everyone', () => {
    for (const defaults of [CHECKPOINT_DEFAULTS, SAFETENSORS_DEFAULTS, GRID_DEFAULTS]) expect(Object.isFrozen(defaults)).toBe(true);
    expect(CHECKPOINT_DEFAULTS).toEqual({ maxTensors: 100_000, maxCheckpointBytes: 2 ** 34 });
    expect(SAFETENSORS_DEFAULTS.maxHeaderBytes).toBe(100_000_000);
    expect(GRID_DEFAULTS.maxRuns).toBe(10_000);
  });

  it('tensor count: maxTensors, for both formats', async () => {
    const file = join(tempDir(), 'three.safetensors');
    await writeSafetensors(file, ['a', 'b', 'c'].map((name) => makeTensor(name, 'F32', [2], new Float32Array(2))));
    const error = await refused(() => openCheckpoint(file, { maxTensors: 2 }));
    expect(error.message).toBe(`${file}: 3 tensors, over the limit of 2 (raise it with the maxTensors option if the input is trusted)`);
    expect(await tensorCount(file, { maxTensors: 3 })).toBe(3);
    const torch = join(FIXTURES, 'pytorch', 'mlp.pt');
    const count = await tensorCount(torch);
    expect((await refused(() => openCheckpoint(torch, { maxTensors: count - 1 }))).field).toBe('maxTensors');
  });

  it('checkpoint size: maxCheckpointBytes counts the tensor data a file declares', async () => {
    const file = join(tempDir(), 'big.safetensors');
    await writeSafetensors(file, [makeTensor('w', 'F64', [4, 4], new Float64Array(16))]);
    const error = await refused(() => openCheckpoint(file, { maxCheckpointBytes: 100 }));
    expect(error.message).toBe(`${file}: its tensors hold 128 bytes, over the limit of 100 (raise it with the maxCheckpointBytes option if the input is trusted)`);
    expect(await tensorCount(file, { maxCheckpointBytes: 128 })).toBe(1);
  });

  it('header size: maxHeaderBytes (safetensors)', async () => {
    const file = join(tempDir(), 'header.safetensors');
    await writeSafetensors(file, [makeTensor('w', 'F32', [1], new Float32Array(1))]);
    const error = await refused(() => openCheckpoint(file, { maxHeaderBytes: 16 }));
    expect(error.message).toMatch(/: safetensors header length \d+ bytes \(not a safetensors file\?\), over the limit of 16 \(raise it with the maxHeaderBytes option if the input is trusted\)$/);
    expect(await tensorCount(file, { maxHeaderBytes: 1000 })).toBe(1);
  });

  it('grid size: maxRuns, before anything is expanded, and --max-runs on the command line', async () => {
    const grid = 'config:\n  arch: mlp\n  lr: [0.1, 0.2, 0.3]\nseeds: 4\n';
    expect(() => parseGrid('g.yaml', grid, { maxRuns: 10 })).toThrow(new LimitError('g.yaml:1', 'the grid expands to 12 runs', 'maxRuns', 10));
    expect(() => parseGrid('g.yaml', 'config:\n  arch: mlp\nseeds: 1000000000\n')).toThrow(
      'g.yaml:3: seeds: 1000000000 seeds, over the limit of 10,000 (raise it with the maxRuns option if the input is trusted)',
    );
    expect(parseGrid('g.yaml', grid, { maxRuns: 12 }).seeds).toEqual([0, 1, 2, 3]);
    const dir = tempDir();
    writeFileSync(join(dir, 'grid.yaml'), grid);
    const cli = await runCli(['zoo', join(dir, 'grid.yaml'), '--out', join(dir, 'zoo'), '--max-runs', '10']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe(`epochgraph: ${join(dir, 'grid.yaml')}:1: the grid expands to 12 runs, over the limit of 10 (raise it with --max-runs if the input is trusted)\n`);
  });

  it('epoch lists name epochs up to MAX_EPOCH: 2^53 no longer hangs, a billion-epoch range is not built', async () => {
    expect(MAX_EPOCH).toBe(1_000_000);
    expect(() => parseEpochWindow('9007199254740993')).toThrow(new OptionError('window', 'epoch 9007199254740993 is above 1,000,000, the largest epoch a list may name'));
    expect(() => parseEpochWindow('0-99999999999')).toThrow(OptionError);
    expect(parseEpochWindow(`${MAX_EPOCH - 1}-${MAX_EPOCH}`)).toEqual([MAX_EPOCH - 1, MAX_EPOCH]);
    const cli = await runCli(['evaluate', tempDir(), '--epochs', '0-99999999999']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('epochgraph: --epochs: epoch 99999999999 is above 1,000,000, the largest epoch a list may name\n');
  });

  it('unrolled-graph size: --max-edges and --max-nodes on the command line', async () => {
    const checkpoint = join(FIXTURES, 'graph', 'mlp.safetensors');
    const out = join(tempDir(), 'graph.json');
    const cli = await runCli(['graph', checkpoint, '--unrolled', '--max-edges', '10', '--out', out]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('epochgraph: graph: the unrolled graph would have 18 nodes and 62 edges: too many edges, over the limit of 10 (raise it with --max-edges if the input is trusted)\n');
    expect((await runCli(['graph', checkpoint, '--unrolled', '--max-nodes', '17', '--out', out])).stderr).toMatch(/too many nodes, over the limit of 17 \(raise it with --max-nodes/);
    expect((await runCli(['graph', checkpoint, '--unrolled', '--max-edges', '62', '--max-nodes', '18', '--out', out])).code).toBe(0);
  });
});
