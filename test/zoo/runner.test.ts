import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reproducibleBytes, runCli, tempDir } from '../helpers.js';

const GRID = `config:
  arch: mlp
  hidden: [16]
  epochs: 2
  train_limit: 300
  lr: [0.05, 0.1, 0.2]
keep_checkpoints: 0,last
`;

const CLI = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Starts `epochgraph zoo`, and kills it (SIGKILL, no chance to clean up) once `killAfter` runs have finished. */
function zooKilledAfter(grid: string, out: string, killAfter: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, 'zoo', grid, '--out', out, '--workers', '1', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let finished = 0;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if ((JSON.parse(line) as { type: string }).type === 'done' && ++finished === killAfter) child.kill('SIGKILL');
      }
    });
    child.on('exit', () => (finished >= killAfter ? done() : fail(new Error(`zoo exited after ${finished} runs`))));
  });
}

/** Trains a zoo of one run (the grid at lr 0.05) into a fresh directory. Returns the paths. */
async function oneRunZoo(): Promise<{ dir: string; grid: string; out: string }> {
  const dir = tempDir();
  const grid = join(dir, 'grid.yaml');
  writeFileSync(grid, GRID.replace('lr: [0.05, 0.1, 0.2]', 'lr: 0.05'));
  const out = join(dir, 'zoo');
  expect((await runCli(['zoo', grid, '--out', out, '--quiet'])).code).toBe(0);
  return { dir, grid, out };
}

describe('epochgraph zoo', () => {
  it('resumes after a crash: finished runs are kept, the rest reproduce the uninterrupted zoo exactly', async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    writeFileSync(grid, GRID);
    const whole = join(dir, 'whole');
    const full = await runCli(['zoo', grid, '--out', whole, '--workers', '2', '--quiet']);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/3 runs \(3 trained now, 0 already done, 0 failed\)/);

    const resumed = join(dir, 'resumed');
    await zooKilledAfter(grid, resumed, 1);
    const firstRun = join(resumed, 'run-0000', 'run.json');
    const firstWritten = statSync(firstRun).mtimeMs;
    expect(existsSync(join(resumed, 'run-0002', 'run.json'))).toBe(false);

    const again = await runCli(['zoo', grid, '--out', resumed, '--workers', '1', '--quiet']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/3 runs \(2 trained now, 1 already done, 0 failed\)/);
    expect(statSync(firstRun).mtimeMs).toBe(firstWritten);
    for (const id of ['run-0000', 'run-0001', 'run-0002']) {
      expect(reproducibleBytes(join(resumed, id, 'run.json'))).toEqual(reproducibleBytes(join(whole, id, 'run.json')));
      for (const epoch of ['0000', '0002']) {
        const file = join(id, 'checkpoints', `epoch-${epoch}.safetensors`);
        expect(readFileSync(join(resumed, file))).toEqual(readFileSync(join(whole, file)));
      }
      expect(existsSync(join(resumed, id, 'checkpoints', 'epoch-0001.safetensors'))).toBe(false);
    }
    const inspected = JSON.parse((await runCli(['inspect-run', join(resumed, 'run-0001'), '--json'])).stdout);
    expect(inspected.config.lr).toBe(0.1);

    const nothingLeft = await runCli(['zoo', grid, '--out', resumed]);
    expect(nothingLeft.stdout).toMatch(/0 trained now, 3 already done/);
  }, 240_000);

  it('counts a run recorded before a setting existed as finished: missing keys read as their defaults', async () => {
    const { grid, out } = await oneRunZoo();
    const withoutEvalLimit = (file: string, configs: (json: { config?: Record<string, unknown>; runs?: { config: Record<string, unknown> }[] }) => Record<string, unknown>[]) => {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      for (const config of configs(json)) {
        expect(config).toHaveProperty('eval_limit', null);
        delete config.eval_limit;
      }
      writeFileSync(file, JSON.stringify(json));
    };
    withoutEvalLimit(join(out, 'run-0000', 'run.json'), (json) => [json.config as Record<string, unknown>]);
    withoutEvalLimit(join(out, 'zoo.json'), (json) => (json.runs ?? []).map((run) => run.config));
    expect((await runCli(['zoo', grid, '--out', out])).stdout).toMatch(/0 trained now, 1 already done/);
    const retrain = await runCli(['train', '--arch', 'mlp', '--hidden', '16', '--epochs', '2', '--train-limit', '300', '--lr', '0.05', '--out', join(out, 'run-0000')]);
    expect(retrain.stdout).toMatch(/already holds this finished run/);
  }, 120_000);

  it('refuses to mix a different grid into an existing zoo, and reports grid errors with their line', async () => {
    const { dir, grid, out } = await oneRunZoo();
    writeFileSync(grid, GRID.replace('lr: [0.05, 0.1, 0.2]', 'lr: 0.07'));
    const mixed = await runCli(['zoo', grid, '--out', out]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/^epochgraph: --out: .*different grid .*write to a new directory/);
    writeFileSync(grid, 'config:\n  arch: mlp\n  lr: fast\n');
    const bad = await runCli(['zoo', grid, '--out', join(dir, 'other')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/grid\.yaml:3: lr: expected a number/);
    expect(existsSync(join(dir, 'other'))).toBe(false);
  }, 120_000);
});
