import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dataset } from '../src/train/datasets/index.js';
import { createRng } from '../src/util/random.js';

/** A fresh empty temporary directory. */
export function tempDir(prefix = 'epochgraph-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Bytes of a safetensors file with the given header (object or raw JSON text) and data section. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const CLI = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/**
 * Runs `command` without blocking the test worker (a synchronous run starves the test
 * runner's own messages, and past a minute the file fails with "Timeout calling
 * onTaskUpdate"). Returns exit code, stdout and stderr.
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeout?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { encoding: 'utf8', cwd: options.cwd, timeout: options.timeout ?? 300_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Runs the built CLI as `runAsync` does; returns exit code, stdout and stderr. */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAsync(process.execPath, [CLI, ...args], options);
}

/** Names of all files under `dir`, recursively (to check that nothing was written). */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/**
 * The bytes of a file the trainer writes, wall-clock times left out: a run.json without
 * its history's `seconds` (re-serialised as the trainer writes it), any other file as is.
 * Two trainings of one configuration agree on these bytes.
 */
export function reproducibleBytes(file: string): Buffer {
  const bytes = readFileSync(file);
  if (!file.endsWith('run.json')) return bytes;
  const manifest = JSON.parse(bytes.toString('utf8')) as { history: Record<string, unknown>[] };
  for (const entry of manifest.history) delete entry.seconds;
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Runs `action` and returns what it threw (undefined if it returned). */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The bit patterns of float64 values, to compare results bit for bit. */
export function float64Bits(values: Float64Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length * 2));
}

/**
 * Two classes told apart by mean brightness, 4x4 grey images (±`contrast` plus unit noise):
 * a task small networks learn in a few epochs.
 */
export function brightnessDataset(count: number, options: { seed: number; contrast: number; testCount: number }): Dataset {
  const rng = createRng(options.seed);
  const make = (n: number) => {
    const images = new Float32Array(n * 16);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let j = 0; j < 16; j++) images[i * 16 + j] = (labels[i] ? options.contrast : -options.contrast) + rng.normal();
    }
    return { images, labels, count: n };
  };
  return { name: 'brightness', height: 4, width: 4, channels: 1, classes: 2, train: make(count), test: make(options.testCount) };
}

/**
 * The grid of the smallest zoo worth crashing: one-layer MLPs (4 hidden units) of 2 epochs on
 * 50 MNIST images, one run per learning rate in `lrs`.
 */
export function tinyZooGrid(lrs: readonly number[], keepCheckpoints: string): string {
  return `config:\n  arch: mlp\n  hidden: [4]\n  epochs: 2\n  train_limit: 50\n  lr: [${lrs.join(', ')}]\nkeep_checkpoints: ${keepCheckpoints}\n`;
}

/** Temporary files an atomic write left under `dir` (there should be none). */
export function temporaries(dir: string): string[] {
  return listFiles(dir).filter((name) => /\.tmp-\d+-/.test(name));
}
