/**
 * The zoo folder an importer writes: built in a sibling staging folder and renamed into
 * place only when every run is complete, so that a failed or interrupted import leaves
 * nothing half-written at `--out`. Files inside the staging folder are written whole
 * (temporary file and rename) but not flushed one by one (`STAGED_WRITE`): the folder's
 * rename is what publishes them, and an fsync per checkpoint would cost more than the
 * import itself (a Small CNN Zoo import writes tens of thousands of small files).
 */
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CHECKPOINT_DIR, RUN_FILE, parseRunManifest } from '../checkpoint/run.js';
import type { RunManifest } from '../checkpoint/run.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AtomicWriteOptions } from '../util/atomic-write.js';
import { ImportError } from './errors.js';

/** How files are written inside the staging folder. */
export const STAGED_WRITE: AtomicWriteOptions = Object.freeze({ durable: false });

/** What an import wrote. */
export interface ImportSummary {
  readonly out: string;
  readonly runs: number;
  readonly checkpoints: number;
  /** Bytes of weights read. */
  readonly bytesRead: number;
  /** Wall seconds spent reading the weights and writing the checkpoints (the rest is runs' folders and run.json files). */
  readonly weightSeconds: number;
}

/** A zoo being written. */
export interface ZooOutput {
  /** The staging folder runs are written into. */
  readonly staging: string;
  /** Creates `<staging>/<run>/checkpoints/` and returns the run's staging folder. */
  runFolder(run: string): Promise<string>;
  /** Validates and writes `<run>/run.json` (docs/run-format.md). */
  writeManifest(run: string, manifest: RunManifest): Promise<void>;
  /** Moves the finished zoo to `out`. */
  commit(): Promise<void>;
  /** Removes the staging folder (after a failure). */
  abandon(): Promise<void>;
}

/**
 * Prepares to write a zoo at `out`, which must not exist or be an empty folder.
 * Returns the output; throws `ImportError` naming `out` otherwise.
 */
export async function createZooOutput(out: string): Promise<ZooOutput> {
  const existing = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new ImportError(out, `cannot use as the output folder (${error.code})`);
  });
  if (existing && existing.length > 0) throw new ImportError(out, 'exists and is not empty; give a new folder with --out');
  await mkdir(dirname(out), { recursive: true });
  const staging = join(dirname(out), `.${out.split('/').filter(Boolean).at(-1) ?? 'zoo'}.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  return {
    staging,
    async runFolder(run: string): Promise<string> {
      const folder = join(staging, run);
      await mkdir(join(folder, CHECKPOINT_DIR), { recursive: true });
      return folder;
    },
    async writeManifest(run: string, manifest: RunManifest): Promise<void> {
      const file = join(staging, run, RUN_FILE);
      parseRunManifest(file, manifest);
      await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`, STAGED_WRITE);
    },
    async commit(): Promise<void> {
      if (existing) await rmdir(out);
      await rename(staging, out);
    },
    abandon: () => rm(staging, { recursive: true, force: true }),
  };
}
