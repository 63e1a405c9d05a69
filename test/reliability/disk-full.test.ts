/**
 * A full disk, for real: a small tmpfs (96 KiB, 512 KiB) mounted for the test (root only; CI runs as root,
 * and without root this test fails rather than pass unseen). Every writer must stop with
 * a one-line error naming the file and ENOSPC, exit code 2, and leave every file written
 * before intact and no temporary file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMING_FILE } from '../../src/train/train.js';
import { listFiles, reproducibleBytes, runCli, tempDir, temporaries, tinyZooGrid } from '../helpers.js';

const GRID = tinyZooGrid([0.05, 0.1, 0.2, 0.4], 'all');

const root = tempDir();
const disk = join(root, 'disk');
const grid = join(root, 'grid.yaml');
const reference = join(root, 'reference');

function mount(options: string): void {
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', disk], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`cannot mount a tmpfs at ${disk} (${result.stderr.trim() || result.error?.message}): this test needs root, as in CI`);
  }
}

/** Fills the tmpfs to the last byte: returns the filler's path (delete it to free the space). */
function fill(): string {
  const filler = join(disk, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(1 << 20));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  return filler;
}

/** The one-line message of a write refused for lack of space. */
const NO_SPACE = /^epochgraph: .*: cannot write \(ENOSPC: no space left on the device; free some and run again\)\n$/;

beforeAll(async () => {
  mkdirSync(disk);
  mount('size=96k');
  writeFileSync(grid, GRID);
  expect((await runCli(['zoo', grid, '--out', reference, '--workers', '2', '--quiet'])).code).toBe(0);
}, 120_000);

afterAll(() => {
  spawnSync('umount', [disk]);
  rmSync(root, { recursive: true, force: true });
});

describe('a full disk', () => {
  it('stops a zoo with a clear error, keeps its finished runs and checkpoints, and the same command completes it once there is room', async () => {
    const zoo = join(disk, 'zoo');
    try {
      const full = await runCli(['zoo', grid, '--out', zoo, '--workers', '1', '--quiet']);
      expect(full.code).toBe(2);
      const lines = full.stderr.trimEnd().split('\n');
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/^run-000\d: failed: .*: cannot write \(ENOSPC: no space left on the device; free some and run again\)$/);
      expect(lines.at(-1)).toMatch(/^epochgraph: \d run\(s\) failed; first: run-000\d: .*: cannot write \(ENOSPC: no space left on the device; free some and run again\)$/);
      const finished = listFiles(zoo).filter((name) => name.endsWith('run.json'));
      expect(finished.length).toBeGreaterThan(0);
      expect(finished.length).toBeLessThan(4);
      // Every file that exists is complete: equal to the uninterrupted zoo's.
      for (const name of listFiles(zoo).filter((n) => /\.(json|safetensors)$/.test(n) && !n.endsWith(TIMING_FILE))) {
        expect(reproducibleBytes(join(zoo, name)).equals(reproducibleBytes(join(reference, name))), name).toBe(true);
      }
      expect(temporaries(zoo)).toEqual([]);

      spawnSync('mount', ['-o', 'remount,size=4m', disk]);
      const again = await runCli(['zoo', grid, '--out', zoo, '--workers', '1', '--quiet']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`4 runs \\(${4 - finished.length} trained now, ${finished.length} already done, 0 failed\\)`));
      const names = listFiles(zoo).filter((n) => /\.(json|safetensors)$/.test(n) && !n.endsWith(TIMING_FILE));
      expect(names).toEqual(listFiles(reference).filter((n) => /\.(json|safetensors)$/.test(n) && !n.endsWith(TIMING_FILE)));
      for (const name of names) expect(reproducibleBytes(join(zoo, name)).equals(reproducibleBytes(join(reference, name))), name).toBe(true);
    } finally {
      rmSync(zoo, { recursive: true, force: true });
      spawnSync('mount', ['-o', 'remount,size=96k', disk]);
    }
  }, 240_000);

  it('stops train with a clear error and leaves no run.json: the run reads as unfinished', async () => {
    const filler = fill();
    const run = join(disk, 'run');
    try {
      const refused = await runCli(['train', '--arch', 'mlp', '--hidden', '4', '--epochs', '1', '--train-limit', '50', '--out', run, '--quiet']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(NO_SPACE);
      expect(existsSync(join(run, 'run.json'))).toBe(false);
      expect(temporaries(disk)).toEqual([]);
    } finally {
      rmSync(filler, { force: true });
      rmSync(run, { recursive: true, force: true });
    }
  }, 120_000);

  // Each writer's output exists from an earlier run; the full disk must leave it as it was.
  const writers: { name: string; file: string; args: (out: string) => string[] }[] = [
    { name: 'features', file: 'table.csv', args: (out) => ['features', reference, '--epochs', '0-1', '--out', out, '--quiet'] },
    { name: 'fit', file: 'model.json', args: (out) => ['fit', reference, '--epochs', '0-1', '--folds', '4', '--out', out, '--quiet'] },
    { name: 'graph', file: 'graph.json', args: (out) => ['graph', join(reference, 'run-0000', 'checkpoints', 'epoch-0001.safetensors'), '--format', 'json', '--out', out] },
  ];
  for (const writer of writers) {
    it(`makes ${writer.name} fail with ENOSPC naming the file, leaving the earlier output intact and nothing else`, async () => {
      const out = join(disk, writer.file);
      // Room for the first, complete output (a rolled graph in JSON is some 230 KB); then the disk is filled.
      spawnSync('mount', ['-o', 'remount,size=512k', disk]);
      const first = await runCli(writer.args(out));
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const before = listFiles(disk);
      const earlier = readFileSync(out);
      const filler = fill();
      try {
        const refused = await runCli(writer.args(out));
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(NO_SPACE);
        expect(readFileSync(out).equals(earlier)).toBe(true);
        expect(listFiles(disk)).toEqual(before.includes('filler') ? before : [...before, 'filler'].sort());
        expect(temporaries(disk)).toEqual([]);
      } finally {
        rmSync(filler, { force: true });
        rmSync(out, { force: true });
        spawnSync('mount', ['-o', 'remount,size=96k', disk]);
      }
      expect(existsSync(out)).toBe(false);
    }, 120_000);
  }
});
