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
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILE, readRun } from '../checkpoint/run.js';
import { RunFormatError } from '../errors.js';
import { runFeatures } from '../summary/features.js';
import type { FeatureBlock, RunFeatureOptions } from '../summary/features.js';
import type { FeatureVector } from '../summary/snapshot.js';
import { formatEpochs } from '../util/epochs.js';
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
  return join(runDir, FEATURE_CACHE_DIR, `${options.layout}.${formatEpochs(options.window)}.json`);
}

/** The digest a cache records of the run.json text (or bytes) it was extracted from. */
export function runJsonDigest(runJson: string | Uint8Array): string {
  return createHash('sha256').update(runJson).digest('hex');
}

async function readRunJsonDigest(runDir: string): Promise<string> {
  const file = join(runDir, RUN_FILE);
  try {
    return runJsonDigest(await readFile(file));
  } catch (error) {
    throw new RunFormatError(file, `cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** A cache file's window, layout and blocks, if it was extracted from the run.json `digest`. */
async function readCacheFile(path: string, digest: string): Promise<{ window: number[]; layout: string; blocks: Blocks } | undefined> {
  let cache: CacheFile;
  try {
    cache = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
  } catch {
    // Absent, or damaged: extracted again.
    return undefined;
  }
  if (cache.run_json_sha256 !== digest) return undefined;
  const blocks: Blocks = {};
  for (const [block, vector] of Object.entries(cache.blocks)) {
    blocks[block as FeatureBlock] = { names: vector.names, values: Float64Array.from(vector.values, (v) => v ?? NaN) };
  }
  return { window: [...cache.window], layout: cache.layout, blocks };
}

async function readCache(path: string, digest: string): Promise<Blocks> {
  return (await readCacheFile(path, digest))?.blocks ?? {};
}

/**
 * Every cache of `runDir` extracted from the run.json whose digest is `digest` (older ones
 * no longer describe the run). Returns window, layout and blocks of each.
 */
export async function readFeatureCaches(runDir: string, digest: string): Promise<{ window: number[]; layout: string; blocks: Blocks }[]> {
  const dir = join(runDir, FEATURE_CACHE_DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  const caches = await Promise.all(names.map((name) => readCacheFile(join(dir, name), digest)));
  return caches.filter((cache) => cache !== undefined);
}

/** The requested blocks that the cache of `runDir` lacks. */
export async function missingBlocks(runDir: string, options: RunFeatureOptions): Promise<FeatureBlock[]> {
  const cached = await readCache(featureCachePath(runDir, options), await readRunJsonDigest(runDir));
  return options.blocks.filter((block) => !cached[block]);
}

/**
 * The requested feature blocks of `runDir`, extracting (and caching) only those not cached.
 * Returns one vector per block; throws `RunFormatError` as `runFeatures` does.
 */
export async function cachedRunFeatures(runDir: string, options: RunFeatureOptions): Promise<Blocks> {
  const path = featureCachePath(runDir, options);
  const digest = await readRunJsonDigest(runDir);
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
