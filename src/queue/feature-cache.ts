/**
 * The feature cache of a run: `<run>/features/<layout>.<window>.json` holds the feature
 * blocks extracted over one epoch window, with the SHA-256 of the run.json they were
 * extracted from. A cached block counts only while run.json is unchanged, so a retrained
 * run is extracted again; blocks missing from a cache file are added to it.
 *
 * Layout: `{ run_json_sha256, window, layout, blocks: { <block>: { names, values } } }`,
 * values as numbers with null for NaN (JSON has no NaN).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, readRun } from '../checkpoint/run.js';
import { RunFormatError } from '../errors.js';
import { runFeatures } from '../summary/features.js';
import type { FeatureBlock, RunFeatureOptions } from '../summary/features.js';
import type { FeatureVector } from '../summary/snapshot.js';
import { formatEpochWindow } from '../summary/temporal.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const FEATURE_CACHE_DIR = 'features';

type Blocks = Partial<Record<FeatureBlock, FeatureVector>>;

interface CacheFile {
  readonly run_json_sha256: string;
  readonly window: readonly number[];
  readonly layout: string;
  readonly blocks: Record<string, { names: string[]; values: (number | null)[] }>;
}

/** The cache file of `runDir` for one window and layout. */
export function featureCachePath(runDir: string, options: Pick<RunFeatureOptions, 'window' | 'layout'>): string {
  return join(runDir, FEATURE_CACHE_DIR, `${options.layout}.${formatEpochWindow(options.window)}.json`);
}

async function runJsonDigest(runDir: string): Promise<string> {
  const file = join(runDir, RUN_FILE);
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch (error) {
    throw new RunFormatError(file, `cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** The blocks cached for the run.json `digest`; those of another run.json do not count. */
async function readCache(path: string, digest: string): Promise<Blocks> {
  let cache: CacheFile;
  try {
    cache = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
  } catch {
    return {};
  }
  if (cache.run_json_sha256 !== digest) return {};
  const blocks: Blocks = {};
  for (const [block, vector] of Object.entries(cache.blocks)) {
    blocks[block as FeatureBlock] = { names: vector.names, values: Float64Array.from(vector.values, (v) => v ?? NaN) };
  }
  return blocks;
}

/** The requested blocks that the cache of `runDir` lacks. */
export async function missingBlocks(runDir: string, options: RunFeatureOptions): Promise<FeatureBlock[]> {
  const cached = await readCache(featureCachePath(runDir, options), await runJsonDigest(runDir));
  return options.blocks.filter((block) => !cached[block]);
}

/**
 * The requested feature blocks of `runDir`, extracting (and caching) only those not cached.
 * Returns one vector per block; throws `RunFormatError` as `runFeatures` does.
 */
export async function cachedRunFeatures(runDir: string, options: RunFeatureOptions): Promise<Blocks> {
  const path = featureCachePath(runDir, options);
  const digest = await runJsonDigest(runDir);
  const cached = await readCache(path, digest);
  const missing = options.blocks.filter((block) => !cached[block]);
  if (missing.length === 0) return cached;
  const extracted = await runFeatures(await readRun(runDir), { ...options, blocks: missing });
  const blocks = { ...cached, ...extracted };
  const file: CacheFile = {
    run_json_sha256: digest,
    window: options.window,
    layout: options.layout,
    blocks: Object.fromEntries(Object.entries(blocks).map(([block, v]) => [block, { names: [...v.names], values: Array.from(v.values, (x) => (Number.isNaN(x) ? null : x)) }])),
  };
  await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
  return blocks;
}
