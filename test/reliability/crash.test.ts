/**
 * Crash safety: a zoo killed with SIGKILL at random moments, then re-run with the same
 * command, ends equal byte for byte to a zoo that was never interrupted; `features` and
 * `fit` killed at random moments leave their output absent or complete, nothing else.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMING_FILE } from '../../src/train/train.js';
import { createRng } from '../../src/util/random.js';
import { listFiles, reproducibleBytes, runCli, tempDir, temporaries, tinyZooGrid } from '../helpers.js';

const CLI = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Four runs: fit needs four. */
const GRID = tinyZooGrid([0.05, 0.1, 0.2, 0.4], '0,last');
const KILLS = 20;
/** Seed of the kill moments (printed with the tally, so that a failure can be replayed). */
const KILL_SEED = 20;

/**
 * Runs the CLI with `args` in its own process group and SIGKILLs the whole group (the zoo and
 * its workers: nothing gets to clean up) `afterMs` after start, unless it exits first; with
 * `fromFirstRun`, `afterMs` counts from the first training progress of a zoo (its first `--json`
 * "progress" event, after the first checkpoint), so that the moment falls while runs are trained
 * and written, not while processes load. Returns whether it was killed, its exit code, its
 * running time and when the first progress came.
 */
function runKilled(args: readonly string[], afterMs: number, fromFirstRun = false): Promise<{ killed: boolean; code: number | null; ms: number; firstRunMs?: number }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let killed = false;
    let firstRunMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        killed = true;
        process.kill(-(child.pid as number), 'SIGKILL');
      }, afterMs);
    };
    if (!fromFirstRun) arm();
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstRunMs === undefined && chunk.toString().includes('"type":"progress"')) {
        firstRunMs = performance.now() - started;
        if (fromFirstRun) arm();
      }
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ killed, code, ms: performance.now() - started, firstRunMs });
    });
  });
}

/** Every file under `dir` with its bytes, wall-clock timings (timing.json, run.json's seconds) left out. */
function contents(dir: string): Map<string, Buffer> {
  return new Map(
    listFiles(dir)
      .filter((name) => !name.endsWith(TIMING_FILE) && !readdirSafe(join(dir, name)))
      .map((name) => [name, reproducibleBytes(join(dir, name))]),
  );
}

function readdirSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

describe('crash safety', () => {
  it(`a zoo SIGKILLed at ${KILLS} random moments and re-run ends byte-identical to an uninterrupted one`, async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    writeFileSync(grid, GRID);
    const reference = join(dir, 'reference');
    const whole = await runKilled(['zoo', grid, '--out', reference, '--workers', '2', '--json'], 600_000);
    expect(whole).toMatchObject({ killed: false, code: 0 });
    // The span a kill moment is drawn from; a zoo that finished before its kill re-measures it, so
    // that the draws follow the machine's load rather than the reference run's.
    let working = whole.ms - (whole.firstRunMs as number);
    const expected = contents(reference);
    expect([...expected.keys()].filter((name) => name.endsWith('run.json'))).toHaveLength(4);

    const rng = createRng(KILL_SEED);
    const tally = { interrupted: 0, withTemporaries: 0, runsDoneAtKill: [] as number[], checkpointsAtKill: [] as number[] };
    for (let k = 0; k < KILLS; k++) {
      const out = join(dir, `killed-${k}`);
      // A moment anywhere between the first progress and the end of a zoo as long as the uninterrupted one.
      const moment = rng.uniform() * working;
      const { killed, ms, firstRunMs } = await runKilled(['zoo', grid, '--out', out, '--workers', '2', '--json'], moment, true);
      if (!killed && firstRunMs !== undefined) working = ms - firstRunMs;
      if (killed) {
        tally.interrupted++;
        if (existsSync(out) && temporaries(out).length > 0) tally.withTemporaries++;
        const left = existsSync(out) ? listFiles(out) : [];
        tally.runsDoneAtKill.push(left.filter((name) => name.endsWith('run.json')).length);
        tally.checkpointsAtKill.push(left.filter((name) => name.endsWith('.safetensors')).length);
      }
      const again = await runCli(['zoo', grid, '--out', out, '--workers', '2', '--quiet']);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      const got = contents(out);
      expect([...got.keys()], `kill ${k} at ${moment.toFixed(0)} ms after the first progress`).toEqual([...expected.keys()]);
      for (const [name, bytes] of expected) expect(got.get(name)?.equals(bytes), `${name} after kill ${k} at ${moment.toFixed(0)} ms after the first progress`).toBe(true);
      expect(temporaries(out)).toEqual([]);
    }
    console.log(`crash safety: ${KILLS} kills (seed ${KILL_SEED}) drawn over the first progress to the end (last measured: ${working.toFixed(0)} ms); ${JSON.stringify(tally)}`);
    // Most moments fall while the zoo still works (the rest after it finished: a re-run then has nothing to do).
    expect(tally.interrupted).toBeGreaterThanOrEqual(KILLS / 2);
  }, 900_000);

  it('features and fit SIGKILLed at random moments leave no output or the complete one, and nothing else', async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    // Every checkpoint kept, for a window of epochs 0-1.
    writeFileSync(grid, tinyZooGrid([0.05, 0.1, 0.2, 0.4], 'all'));
    const zoo = join(dir, 'zoo');
    expect((await runCli(['zoo', grid, '--out', zoo, '--workers', '2', '--quiet'])).code).toBe(0);
    const rng = createRng(KILL_SEED + 1);
    for (const [command, file, extra] of [
      ['features', 'table.csv', []],
      ['fit', 'model.json', ['--folds', '4']],
    ] as const) {
      const complete = join(dir, `complete-${command}`);
      const whole = await runKilled([command, zoo, '--out', join(complete, file), '--epochs', '0-1', '--quiet', ...extra], 600_000);
      expect(whole).toMatchObject({ killed: false, code: 0 });
      const expected = readFileSync(join(complete, file));
      for (let k = 0; k < 5; k++) {
        const out = join(dir, `${command}-${k}`);
        await runKilled([command, zoo, '--out', join(out, file), '--epochs', '0-1', '--quiet', ...extra], rng.uniform() * whole.ms);
        const left = existsSync(out) ? listFiles(out) : [];
        expect(left.length === 0 || (left.length === 1 && left[0] === file), `${command} left ${left.join(', ')}`).toBe(true);
        if (left.length === 1) expect(readFileSync(join(out, file)).equals(expected)).toBe(true);
      }
    }
  }, 600_000);
});
