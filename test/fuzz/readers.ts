/**
 * The table of fuzzed readers: one entry per reader or parser of untrusted input, with
 * valid seed inputs and the function that reads them. Adding a reader is one entry here;
 * the harness (./harness.ts) mutates the seeds and checks the same invariants for all.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { openTorchArchive } from '../../src/checkpoint/pytorch/zip.js';
import { loadTorchPickle, selectStateDict } from '../../src/checkpoint/pytorch/torch-pickle.js';
import { readRun } from '../../src/checkpoint/run.js';
import { readArchitectureSpec } from '../../src/graph/architecture-source.js';
import { readModelFile } from '../../src/predict/model-file.js';
import { PredictorPipeline } from '../../src/predict/pipeline.js';
import { readGrid } from '../../src/zoo/grid.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const SEEDS = join(FIXTURES, 'fuzz', 'seeds');

/** One fuzzed reader. */
export interface FuzzedReader {
  /** Name in reports and `npm run fuzz -- --reader NAME`. */
  readonly name: string;
  /** The module that owns the format. */
  readonly module: string;
  /** Valid inputs the mutations start from. */
  readonly seeds: () => Promise<Uint8Array[]>;
  /** True for text formats whose seeds are JSON: adds structure-aware mutations. */
  readonly json?: boolean;
  /**
   * Reads `bytes`, which the harness has written to `file` (inside the empty directory `dir`).
   * Resolves on success; anything thrown must be an `EpochgraphError`.
   */
  readonly read: (file: string, dir: string, bytes: Uint8Array) => Promise<unknown>;
  /** File name the input is written under. */
  readonly fileName: string;
}

function files(dir: string, pattern: RegExp): Uint8Array[] {
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => new Uint8Array(readFileSync(join(dir, name))));
}

/**
 * Tensor data a fuzzed checkpoint may declare: the harness allows no allocation larger
 * than the input plus this, so a file claiming more must be refused before it is read.
 */
export const FUZZ_CHECKPOINT_BYTES = 1 << 20;

/** Small, valid PyTorch fixtures (the hostile and malformed ones are regression inputs, not seeds). */
const TORCH_SEEDS = ['mlp.pt', 'mlp-protocol4.pt', 'mlp-zip64.pt', 'parameters.pt', 'custom-key.pt', 'views.pt', 'dtypes.pt', 'whole-module.pt'];

async function torchPickles(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const name of TORCH_SEEDS) {
    const path = join(FIXTURES, 'pytorch', name);
    const handle = await open(path, 'r');
    try {
      const archive = await openTorchArchive(path, handle, (await handle.stat()).size, { maxPickleBytes: 1 << 20 });
      out.push(await archive.readPickle());
      archive.close();
    } finally {
      await handle.close();
    }
  }
  return out;
}

/** Storage records every fuzzed pickle may refer to: keys 0-63, 1 MiB each. */
const PICKLE_STORAGES: ReadonlyMap<string, number> = new Map(Array.from({ length: 64 }, (_, i) => [String(i), 1 << 20]));

/** Every reader and parser of untrusted input in epochgraph. */
export const FUZZED_READERS: readonly FuzzedReader[] = [
  {
    name: 'safetensors',
    module: 'src/checkpoint/safetensors.ts',
    fileName: 'input.safetensors',
    seeds: async () => [...files(join(FIXTURES, 'graph'), /\.safetensors$/), ...files(join(FIXTURES, 'pytorch'), /\.safetensors$/)],
    read: (file) => readCheckpoint(file, { format: 'safetensors', maxCheckpointBytes: FUZZ_CHECKPOINT_BYTES }),
  },
  {
    name: 'pytorch-zip',
    module: 'src/checkpoint/pytorch/reader.ts',
    fileName: 'input.pt',
    seeds: async () => TORCH_SEEDS.map((name) => new Uint8Array(readFileSync(join(FIXTURES, 'pytorch', name)))),
    read: (file) => readCheckpoint(file, { format: 'pytorch', maxCheckpointBytes: FUZZ_CHECKPOINT_BYTES }),
  },
  {
    name: 'torch-pickle',
    module: 'src/checkpoint/pytorch/unpickle.ts',
    fileName: 'data.pkl',
    seeds: torchPickles,
    read: async (file, _dir, bytes) => selectStateDict(file, loadTorchPickle(file, bytes, PICKLE_STORAGES)),
  },
  {
    name: 'run.json',
    module: 'src/checkpoint/run.ts',
    fileName: 'run.json',
    json: true,
    seeds: async () => files(SEEDS, /^run.*\.json$/),
    read: (_file, dir) => readRun(dir),
  },
  {
    name: 'grid-yaml',
    module: 'src/zoo/grid.ts',
    fileName: 'grid.yaml',
    seeds: async () => files(join(ROOT, 'examples'), /\.yaml$/),
    read: (file) => readGrid(file),
  },
  {
    name: 'model-file',
    module: 'src/predict/model-file.ts',
    fileName: 'model.json',
    json: true,
    seeds: async () => files(SEEDS, /^model-.*\.json$/),
    // What `predict` does with a model file before it reads any run: read it and restore its estimator.
    read: async (file) => PredictorPipeline.fromJSON((await readModelFile(file)).pipeline),
  },
  {
    name: 'architecture-spec',
    module: 'src/graph/architecture-source.ts',
    fileName: 'architecture.json',
    json: true,
    seeds: async () => [...files(SEEDS, /^architecture-.*\.json$/), ...files(SEEDS, /^run\.json$/)],
    read: (file) => readArchitectureSpec(file),
  },
];
