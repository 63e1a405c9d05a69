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
    // tfjs is CommonJS: every file of it that loads is in the require cache, whatever its globals are named.
    const script = `import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('@tensorflow')).length;
      const main = await import('epochgraph');
      const afterMain = loaded();
      const train = await import('epochgraph/train');
      const afterTrain = loaded();
      const zoo = await import('epochgraph/zoo');
      const report = await import('epochgraph/report');
      console.log(JSON.stringify([typeof main.evaluateZoos, afterMain, afterTrain > 0, typeof train.trainRun, typeof zoo.runZoo, typeof report.writeReport]));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).toEqual(['function', 0, true, 'function', 'function', 'function']);
  });

  it("offers the pruning service's client as 'epochgraph/client', loading neither tfjs nor the server", () => {
    const script = `import { createRequire } from 'node:module';
      const client = await import('epochgraph/client');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => /@tensorflow|fastify|prom-client/.test(file)).length;
      console.log(JSON.stringify([typeof client.EpochgraphClient, typeof client.tfjsCheckpoint, typeof client.ServiceRequestError, loaded]));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['function', 'function', 'function', 0]);
  });
});
