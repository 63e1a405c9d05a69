import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('library entry point', () => {
  it("is importable by package name as 'epochgraph' from the built package", () => {
    const script = `const m = await import('epochgraph'); console.log(JSON.stringify(['readCheckpoint', 'openCheckpoint', 'writeSafetensors', 'readRun', 'listZoo'].map((k) => typeof m[k])));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '..'),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });

  it('offers training, zoos and the report as separate entry points, keeping the main one free of tfjs', () => {
    const script = `const main = await import('epochgraph');
      const loadedTf = Object.keys(globalThis).some((k) => k.startsWith('_tf'));
      const train = await import('epochgraph/train');
      const zoo = await import('epochgraph/zoo');
      const report = await import('epochgraph/report');
      console.log(JSON.stringify([typeof main.evaluateMethods, loadedTf, typeof train.trainRun, typeof zoo.runZoo, typeof report.writeReport]));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).toEqual(['function', false, 'function', 'function', 'function']);
  });
});
