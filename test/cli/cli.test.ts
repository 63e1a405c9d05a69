import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import { BAD_SAFETENSORS } from '../checkpoint/bad-safetensors.js';
import { listFiles, runCli, tempDir } from '../helpers.js';

let good: string;
let runDir: string;

beforeAll(async () => {
  runDir = tempDir();
  good = join(runDir, 'checkpoints', 'epoch-0001.safetensors');
  await writeSafetensors(
    good,
    [
      makeTensor('net.10.weight', 'F32', [2, 2], new Float32Array([1, -2, 3, NaN])),
      makeTensor('net.2.weight', 'F64', [3], new Float64Array([0.5, 0.25, 0.125])),
    ],
    { epoch: '1' },
  );
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify({
      id: 'cli-run',
      config: { lr: 0.05, optimizer: 'sgd' },
      history: [0, 1, 2].map((epoch) => ({ epoch, train_loss: 2 - epoch / 2, train_acc: 0.3 * epoch, test_loss: null, test_acc: 0.25 + epoch / 10 })),
    }),
  );
});

describe('epochgraph inspect-checkpoint', () => {
  it('prints JSON with per-tensor statistics in natural order', async () => {
    const { code, stdout } = await runCli(['inspect-checkpoint', good, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.format).toBe('safetensors');
    expect(out.metadata).toEqual({ epoch: '1' });
    expect(out.tensors).toEqual([
      { name: 'net.2.weight', dtype: 'F64', shape: [3], min: 0.125, max: 0.5, mean: 0.875 / 3, non_finite: 0 },
      { name: 'net.10.weight', dtype: 'F32', shape: [2, 2], min: -2, max: 3, mean: 2 / 3, non_finite: 1 },
    ]);
  });

  it('prints a table and warns about non-finite values on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['inspect-checkpoint', good]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/net\.2\.weight\s+F64\s+\[3\]/);
    expect(stdout.indexOf('net.2.weight')).toBeLessThan(stdout.indexOf('net.10.weight'));
    expect(stderr).toMatch(/warning: 1 tensor\(s\) hold non-finite values: net\.10\.weight/);
  });

  for (const { name, bytes, message } of BAD_SAFETENSORS) {
    it(`exits 2 with one line naming the file for ${name}, writing nothing`, async () => {
      const dir = tempDir();
      const file = join(dir, `${name}.safetensors`);
      writeFileSync(file, bytes);
      const { code, stdout, stderr } = await runCli(['inspect-checkpoint', file], { cwd: dir });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`^epochgraph: ${file}: `));
      expect(stderr).toMatch(message);
      expect(listFiles(dir)).toEqual([`${name}.safetensors`]);
    });
  }

  it('exits 2 for a missing file and for a bad option value', async () => {
    expect((await runCli(['inspect-checkpoint', '/nonexistent/x.safetensors'])).stderr).toMatch(/x.safetensors: cannot open \(ENOENT\)/);
    const bad = await runCli(['inspect-checkpoint', good, '--order', 'random']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--order: expected one of natural, file, got "random"/);
  });
});

describe('epochgraph inspect-checkpoint on PyTorch files', () => {
  const fixtures = join(import.meta.dirname, '..', 'fixtures', 'pytorch');

  it('lists a torch.save state dict in its own (module) order', async () => {
    const { code, stdout } = await runCli(['inspect-checkpoint', join(fixtures, 'cnn.pt'), '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.format).toBe('pytorch');
    const tracked = out.tensors.find((t: { name: string }) => t.name.endsWith('num_batches_tracked'));
    expect(tracked).toMatchObject({ dtype: 'I64', shape: [] });
  });

  it('finds the state dict under --key', async () => {
    const file = join(fixtures, 'custom-key.pt');
    const without = await runCli(['inspect-checkpoint', file]);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/ema/);
    const withKey = await runCli(['inspect-checkpoint', file, '--key', 'ema', '--json']);
    expect(withKey.code).toBe(0);
    expect(JSON.parse(withKey.stdout).tensors.length).toBeGreaterThan(0);
  });

  it('refuses a pickle that references os.system, with exit 2 and one line', async () => {
    const file = join(fixtures, 'hostile-os-system.pt');
    const { code, stderr } = await runCli(['inspect-checkpoint', file]);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/refusing to load global os\.system/);
  });

  it('refuses the legacy format with advice', async () => {
    const { code, stderr } = await runCli(['inspect-checkpoint', join(fixtures, 'legacy.pt')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/legacy .* re-save/);
  });
});

describe('epochgraph inspect-run', () => {
  it('prints the run as JSON', async () => {
    const { code, stdout } = await runCli(['inspect-run', runDir, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.id).toBe('cli-run');
    expect(out.checkpoints).toEqual([{ epoch: 1, path: good, format: 'safetensors' }]);
    expect(out.history).toHaveLength(3);
    expect(out.final_test_acc).toBeCloseTo(0.45, 12);
  });

  it('prints a history table marking epochs with checkpoints', async () => {
    const { code, stdout } = await runCli(['inspect-run', runDir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/checkpoints: epochs 1 \(safetensors\)/);
    expect(stdout).toMatch(/^\s+1\s+yes\s+1\.5\s+0\.3\s+-\s+0\.35$/m);
  });

  it('exits 2 on a run.json that is not JSON or lacks fields', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r', 'run.json'), 'not json');
    const notJson = await runCli(['inspect-run', join(dir, 'r')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/run\.json: not valid JSON/);
    writeFileSync(join(dir, 'r', 'run.json'), '{"id": "a", "config": {}}');
    const noHistory = await runCli(['inspect-run', join(dir, 'r')]);
    expect(noHistory.code).toBe(2);
    expect(noHistory.stderr).toMatch(/"history" must be an array/);
  });
});

describe('epochgraph command line', () => {
  it('exits 0 with help on every command, each registered by a file of its name', async () => {
    const root = await runCli(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: epochgraph/);
    // Command names start the lines of the "Commands:" section; commander adds "help".
    const listed = [...root.stdout.split('Commands:')[1].matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
    const files = readdirSync(join(import.meta.dirname, '..', '..', 'src', 'cli', 'commands')).map((f) => f.replace(/\.ts$/, ''));
    expect([...listed].sort()).toEqual([...files].sort());
    const helps = await Promise.all(listed.map((command) => runCli([command, '--help'])));
    for (const [i, { code, stdout, stderr }] of helps.entries()) {
      expect(code, listed[i]).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^Usage: epochgraph ${listed[i]}\\b`));
    }
  }, 120_000);

  it('exits 2 with one line on an unknown command or a missing argument', async () => {
    for (const args of [['frobnicate'], ['inspect-run'], ['inspect-checkpoint', good, '--no-such-flag']]) {
      const { code, stderr } = await runCli(args);
      expect(code).toBe(2);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^epochgraph: /);
    }
  });

  it('prints a stack trace only with --debug', async () => {
    const plain = await runCli(['inspect-checkpoint', '/nonexistent.safetensors']);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['--debug', 'inspect-checkpoint', '/nonexistent.safetensors']);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('runs a reduced demo end to end: a zoo of MLP and LeNet-5 runs and every method evaluated', async () => {
    const out = join(tempDir(), 'demo');
    const { code, stdout, stderr } = await runCli(['demo', '--out', out, '--runs', '12', '--epochs', '3', '--train-limit', '256']);
    expect(stderr).not.toMatch(/error|failed/i);
    expect(code).toBe(0);
    expect(stdout).toMatch(/12 runs of MLP and LeNet-5/);
    // Progress goes to stderr, one line per finished run when it is not a terminal.
    expect(stderr.match(/^run-\d{4}: test_acc/gm)).toHaveLength(12);
    for (const method of ['graph', 'graph+curve', 'curve', 'tse', 'weights', 'hyper', 'last-acc']) {
      expect(stdout).toMatch(new RegExp(`^${method.replace('+', '\\+')}\\s+12\\s`, 'm'));
    }
    const index = join(out, 'report', 'index.html');
    expect(stdout).toContain(`report: ${index}`);
    expect(readFileSync(index, 'utf8')).toMatch(/<table/);
    const zoo = JSON.parse((await runCli(['inspect-run', join(out, 'zoo', 'run-0000'), '--json'])).stdout);
    expect(zoo.config).toMatchObject({ dataset: 'mnist', epochs: 3, train_limit: 256 });
    expect(zoo.checkpoints.map((c: { epoch: number }) => c.epoch)).toEqual([0, 1, 2, 3]);
  }, 300_000);
});
