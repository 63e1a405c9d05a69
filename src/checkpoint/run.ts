/**
 * Run directories and zoos (the on-disk contract of docs/run-format.md).
 *
 * A run is `<run>/run.json` plus `<run>/checkpoints/epoch-NNNN.{safetensors,pt}`;
 * a zoo is a directory whose subdirectories are runs.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RunFormatError } from '../errors.js';
import { printable } from '../util/format.js';
import { compareNatural } from '../util/natural-sort.js';
import type { CheckpointFormat } from './checkpoint.js';

/** One evaluated epoch. Losses are null when they were not finite; accuracies are fractions in [0, 1]. */
export interface HistoryEntry {
  readonly epoch: number;
  readonly train_loss: number | null;
  readonly train_acc: number | null;
  readonly test_loss: number | null;
  readonly test_acc: number | null;
  /** Wall-clock seconds this epoch took (training, evaluation, checkpoint); absent when not recorded. */
  readonly seconds?: number;
}

/** The parsed contents of run.json. */
export interface RunManifest {
  readonly id: string;
  /** Hyperparameters and anything else the producer wants to record. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Evaluations in increasing epoch order. */
  readonly history: readonly HistoryEntry[];
  /** Epoch at which training diverged (non-finite loss), if it did. */
  readonly diverged_at_epoch?: number;
}

/** A checkpoint file of a run. */
export interface RunCheckpoint {
  readonly epoch: number;
  readonly path: string;
  readonly format: CheckpointFormat;
}

/** A run directory: its manifest and the checkpoints present, in epoch order. */
export interface Run extends RunManifest {
  /** The run directory. */
  readonly path: string;
  readonly checkpoints: readonly RunCheckpoint[];
  /** `test_acc` of the last history entry, or null when there is none (or it was not recorded). */
  readonly finalTestAcc: number | null;
}

export const RUN_FILE = 'run.json';
export const CHECKPOINT_DIR = 'checkpoints';
const CHECKPOINT_NAME = /^epoch-(\d{4,})\.(safetensors|pt)$/;

/** File name of the checkpoint for `epoch` (zero-padded to four digits). */
export function checkpointFileName(epoch: number, format: CheckpointFormat = 'safetensors'): string {
  return `epoch-${String(epoch).padStart(4, '0')}.${format === 'pytorch' ? 'pt' : 'safetensors'}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readMetric(file: string, where: string, entry: Record<string, unknown>, key: string, isFraction: boolean): number | null {
  if (!Object.hasOwn(entry, key)) throw new RunFormatError(file, `${where} is missing "${key}"`);
  const value = entry[key];
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RunFormatError(file, `${where}.${key} must be a finite number or null, got ${JSON.stringify(value)}`);
  }
  if (isFraction && (value < 0 || value > 1)) {
    throw new RunFormatError(file, `${where}.${key} = ${value} is outside [0, 1]: store accuracies as fractions`);
  }
  return value;
}

/**
 * Validates a parsed run.json. Returns the manifest with history sorted by epoch.
 * Throws `RunFormatError` naming the file and the offending field.
 */
export function parseRunManifest(file: string, value: unknown): RunManifest {
  if (!isPlainObject(value)) throw new RunFormatError(file, 'run.json must hold a JSON object');
  const { id, config, history, diverged_at_epoch: divergedAt } = value;
  if (typeof id !== 'string' || id.length === 0) throw new RunFormatError(file, '"id" must be a non-empty string');
  if (!isPlainObject(config)) throw new RunFormatError(file, '"config" must be a JSON object');
  if (!Array.isArray(history)) throw new RunFormatError(file, '"history" must be an array');
  const entries: HistoryEntry[] = history.map((raw, i) => {
    const where = `history[${i}]`;
    if (!isPlainObject(raw)) throw new RunFormatError(file, `${where} must be a JSON object`);
    const epoch = raw.epoch;
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RunFormatError(file, `${where}.epoch must be a non-negative integer`);
    }
    const seconds = raw.seconds;
    if (seconds !== undefined && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)) {
      throw new RunFormatError(file, `${where}.seconds must be a finite number >= 0 when present, got ${JSON.stringify(seconds)}`);
    }
    return {
      epoch,
      train_loss: readMetric(file, where, raw, 'train_loss', false),
      train_acc: readMetric(file, where, raw, 'train_acc', true),
      test_loss: readMetric(file, where, raw, 'test_loss', false),
      test_acc: readMetric(file, where, raw, 'test_acc', true),
      ...(seconds === undefined ? {} : { seconds: seconds as number }),
    };
  });
  entries.sort((a, b) => a.epoch - b.epoch);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].epoch === entries[i - 1].epoch) throw new RunFormatError(file, `history has epoch ${entries[i].epoch} twice`);
  }
  if (divergedAt !== undefined && (typeof divergedAt !== 'number' || !Number.isSafeInteger(divergedAt) || divergedAt < 0)) {
    throw new RunFormatError(file, '"diverged_at_epoch" must be a non-negative integer when present');
  }
  return {
    id,
    config,
    history: entries,
    ...(divergedAt === undefined ? {} : { diverged_at_epoch: divergedAt as number }),
  };
}

/** Lists `<run>/checkpoints/epoch-*.{safetensors,pt}` in epoch order; empty if the folder is absent. */
export async function listRunCheckpoints(runDir: string): Promise<RunCheckpoint[]> {
  const dir = join(runDir, CHECKPOINT_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RunFormatError(dir, `cannot list checkpoints (${(error as NodeJS.ErrnoException).code})`);
  }
  const byEpoch = new Map<number, RunCheckpoint>();
  for (const name of names) {
    const match = CHECKPOINT_NAME.exec(name);
    if (!match) continue;
    const epoch = Number(match[1]);
    const previous = byEpoch.get(epoch);
    if (previous) throw new RunFormatError(dir, `epoch ${epoch} has two checkpoints: ${previous.path} and ${name}`);
    byEpoch.set(epoch, { epoch, path: join(dir, name), format: match[2] === 'pt' ? 'pytorch' : 'safetensors' });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * Reads a run directory: validates run.json and lists its checkpoints.
 * Returns the run; throws `RunFormatError` if run.json is missing, not JSON or malformed.
 */
export async function readRun(runDir: string): Promise<Run> {
  const file = join(runDir, RUN_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RunFormatError(file, code === 'ENOENT' ? 'missing: a run directory needs a run.json (see docs/run-format.md)' : `cannot read (${code})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunFormatError(file, `not valid JSON (${printable((error as Error).message)})`);
  }
  const manifest = parseRunManifest(file, value);
  const checkpoints = await listRunCheckpoints(runDir);
  const last = manifest.history.at(-1);
  return { ...manifest, path: runDir, checkpoints, finalTestAcc: last?.test_acc ?? null };
}

/**
 * Lists the runs of a zoo: its subdirectories that contain a run.json, in natural order.
 * Symbolic links to run directories count (a sub-zoo can be a directory of links); broken
 * links are skipped. Returns their paths; throws `RunFormatError` if the zoo cannot be listed.
 */
export async function listZoo(zooDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(zooDir, { withFileTypes: true });
  } catch (error) {
    throw new RunFormatError(zooDir, `cannot list zoo directory (${(error as NodeJS.ErrnoException).code})`);
  }
  const runs: string[] = [];
  for (const entry of entries) {
    const path = join(zooDir, entry.name);
    const directory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (!directory) continue;
    const names = await readdir(path);
    if (names.includes(RUN_FILE)) runs.push(entry.name);
  }
  return runs.sort(compareNatural).map((name) => join(zooDir, name));
}

/**
 * Run directories of several zoos, zoo by zoo, each zoo's in natural order. Returns them
 * all; throws `RunFormatError` for a zoo that cannot be listed or holds no runs, and for a
 * run that two of the zoos share (the same zoo given twice, or a link into another zoo):
 * counted twice, it would weigh double in a fit and sit on both sides of a fold.
 */
export async function listZoos(zooDirs: readonly string[]): Promise<string[]> {
  const runs: string[] = [];
  const seen = new Map<string, string>();
  for (const zooDir of zooDirs) {
    const found = await listZoo(zooDir);
    if (found.length === 0) throw new RunFormatError(zooDir, 'no runs (subdirectories with a run.json)');
    for (const run of found) {
      const real = await realpath(run);
      const earlier = seen.get(real);
      if (earlier !== undefined) throw new RunFormatError(run, `is the same run as ${earlier}; give each run once`);
      seen.set(real, run);
    }
    runs.push(...found);
  }
  return runs;
}
