/**
 * Zoo grid files (YAML, documented in docs/zoo-grid.md): fixed values, choices
 * (cartesian product), ranges (uniform / log-uniform, drawn `samples` times per cell
 * from `sampling_seed`) and seeds, expanded into one training configuration per run.
 * `config` is one such block or a list of them (a union: say, a learning-rate range per
 * optimizer), expanded one after another. Every error names the file and line of the
 * offending value.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isSeq, parseDocument } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { CONFIG_SCHEMA, DATASET_SHAPES } from '../checkpoint/run-config.js';
import type { TrainConfig } from '../checkpoint/run-config.js';
import { EpochgraphError, LimitError, OptionError } from '../errors.js';
import { parseCheckpointPolicy } from '../train/checkpoint-policy.js';
import type { CheckpointPolicy } from '../train/checkpoint-policy.js';
import { ConfigError, programOf, resolveConfig, validateField } from '../train/config.js';
import { createRng } from '../util/random.js';

/** Grid defaults. */
export const DEFAULTS = Object.freeze({
  /** Most runs a grid may expand to: a slip such as `seeds: 1000000000` is refused before anything is allocated. */
  maxRuns: 10_000,
});

/** Options of `parseGrid` and `readGrid`. */
export interface GridOptions {
  /** Most runs the grid may expand to (default `DEFAULTS.maxRuns`). */
  maxRuns?: number;
}

/** A malformed grid file; the message starts with `file:line:`. */
export class GridError extends EpochgraphError {}

/** A sampled hyperparameter range. */
export interface Range {
  readonly kind: 'uniform' | 'log_uniform';
  readonly low: number;
  readonly high: number;
}

/** One `config` mapping: fixed settings, choices and ranges. */
export interface GridBlock {
  readonly fixed: Readonly<Record<string, unknown>>;
  readonly choices: Readonly<Record<string, readonly unknown[]>>;
  readonly ranges: Readonly<Record<string, Range>>;
}

/** A parsed, validated grid. */
export interface Grid {
  /** The `config` blocks, expanded in order. */
  readonly blocks: readonly GridBlock[];
  readonly seeds: readonly number[];
  readonly samples: number;
  readonly samplingSeed: number;
  readonly keepCheckpoints: CheckpointPolicy;
  readonly dataDir?: string;
}

/** One run of an expanded grid. */
export interface PlannedRun {
  readonly id: string;
  readonly config: TrainConfig;
}

const TOP_LEVEL = ['config', 'seeds', 'samples', 'sampling_seed', 'keep_checkpoints', 'data_dir'] as const;
const LIST_VALUED = new Set(['integer-list', 'integer-list-list']);

/**
 * Parses and validates grid YAML `text` (from `file`, for messages).
 * Returns the grid; throws `GridError` with `file:line:` for any problem, and `LimitError`
 * for a grid of more than `options.maxRuns` runs.
 */
export function parseGrid(file: string, text: string, options: GridOptions = {}): Grid {
  const maxRuns = options.maxRuns ?? DEFAULTS.maxRuns;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined) => (node?.range ? `${file}:${lines.linePos(node.range[0]).line}` : file);
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new GridError(`${file}:${lines.linePos(error.pos[0]).line}: invalid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '')}`);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new GridError(`${at(root)}: a grid is a YAML mapping with a "config" section`);
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new GridError(`${at(node)}: ${message}`);
  };
  const top = new Map<string, Node>();
  const topKeys = new Map<string, Node>();
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!(TOP_LEVEL as readonly string[]).includes(key)) fail(pair.key as Node, `unknown top-level key "${key}"; expected ${TOP_LEVEL.join(', ')}`);
    top.set(key, pair.value as Node);
    topKeys.set(key, pair.key as Node);
  }
  const configNode = top.get('config');
  const blockNodes = isSeq(configNode) && configNode.items.length > 0 ? configNode.items : [configNode];
  if (!blockNodes.every(isMap)) return fail(configNode ?? root, 'missing "config" mapping of training settings (or a non-empty list of such mappings)');
  const blocks = (blockNodes as YAMLMap[]).map((node) => parseBlock(node, fail));
  const samplesNode = top.get('samples');
  const seedsNode = top.get('seeds');
  let seeds = [0];
  if (seedsNode) {
    const value = seedsNode.toJSON();
    if (Number.isSafeInteger(value) && value > maxRuns) throw new LimitError(at(seedsNode), `seeds: ${value} seeds`, 'maxRuns', maxRuns);
    if (Number.isSafeInteger(value) && value > 0) seeds = Array.from({ length: value }, (_, i) => i);
    else if (Array.isArray(value) && value.length > 0 && value.every((s) => Number.isSafeInteger(s) && s >= 0)) seeds = value;
    else fail(seedsNode, 'seeds: expected a count N (seeds 0..N-1) or a non-empty list of non-negative integers');
    if (new Set(seeds).size !== seeds.length) fail(seedsNode, 'seeds: duplicated seed');
  }
  const integer = (name: string, fallback: number, min: number) => {
    const node = top.get(name);
    if (!node) return fallback;
    const value = node.toJSON();
    if (!Number.isSafeInteger(value) || value < min) fail(node, `${name}: expected an integer >= ${min}`);
    return value as number;
  };
  const samples = integer('samples', 1, 1);
  const samplingSeed = integer('sampling_seed', 0, 0);
  let keepCheckpoints = parseCheckpointPolicy('all');
  const keepNode = top.get('keep_checkpoints');
  if (keepNode) {
    try {
      keepCheckpoints = parseCheckpointPolicy(String(keepNode.toJSON()));
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      fail(keepNode, `keep_checkpoints: ${error.detail}`);
    }
  }
  const dataDirNode = top.get('data_dir');
  const dataDir = dataDirNode?.toJSON();
  if (dataDirNode && typeof dataDir !== 'string') fail(dataDirNode, 'data_dir: expected a path');
  blocks.forEach((block, i) => {
    if (Object.keys(block.ranges).length === 0 && samples > 1) {
      fail(blocks.length > 1 ? blockNodes[i] : samplesNode, `samples > 1 needs at least one uniform or log_uniform range${blocks.length > 1 ? ' in every config block' : ''}`);
    }
  });
  const runCount = blocks.reduce((sum, block) => sum + Object.values(block.choices).reduce((cells, values) => cells * values.length, 1), 0) * samples * seeds.length;
  if (runCount > maxRuns) throw new LimitError(at(topKeys.get('config')), `the grid expands to ${runCount.toLocaleString('en-US')} runs`, 'maxRuns', maxRuns);
  const grid: Grid = { blocks, seeds, samples, samplingSeed, keepCheckpoints, ...(dataDir ? { dataDir } : {}) };
  // Expand each block once so that a missing required setting or an architecture that does not fit its dataset fails now, with the line.
  (blockNodes as YAMLMap[]).forEach((node, i) => {
    try {
      expandGrid({ ...grid, blocks: [blocks[i]] });
    } catch (error) {
      const at = blockNodes.length > 1 ? node : topKeys.get('config');
      if (error instanceof ConfigError) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown }).value) === error.key);
        fail((pair?.value as Node) ?? at, error.message);
      }
      if (error instanceof EpochgraphError) fail(at, error.message);
      throw error;
    }
  });
  return grid;
}

/** Parses one `config` mapping; `fail` throws with the node's line. */
function parseBlock(configNode: YAMLMap, fail: (node: Node | null | undefined, message: string) => never): GridBlock {
  const fixed: Record<string, unknown> = {};
  const choices: Record<string, unknown[]> = {};
  const ranges: Record<string, Range> = {};
  for (const pair of configNode.items) {
    const keyNode = pair.key as Node;
    const key = String((keyNode as { value?: unknown }).value);
    const valueNode = pair.value as Node;
    const schema = (CONFIG_SCHEMA as Record<string, { type: string }>)[key];
    if (!schema) fail(keyNode, `unknown setting "${key}"; known: ${Object.keys(CONFIG_SCHEMA).join(', ')}`);
    if (key === 'seed') fail(keyNode, 'give seeds with the top-level "seeds" key (a list, or a count N for 0..N-1)');
    const value = valueNode?.toJSON?.() ?? null;
    const check = (v: unknown, node: Node) => {
      try {
        return validateField(key, v);
      } catch (error) {
        if (error instanceof ConfigError) fail(node, error.message);
        throw error;
      }
    };
    if (isMap(valueNode)) {
      const spec = value as Record<string, unknown>;
      const kinds = Object.keys(spec);
      if (kinds.length !== 1) fail(valueNode, `${key}: expected one of {choices: [...]}, {uniform: [low, high]}, {log_uniform: [low, high]}`);
      const kind = kinds[0];
      if (kind === 'choices') {
        const list = spec.choices;
        if (!Array.isArray(list) || list.length === 0) fail(valueNode, `${key}: choices must be a non-empty list`);
        const items = (valueNode.items[0].value as { items?: Node[] }).items ?? [];
        choices[key] = (list as unknown[]).map((v, i) => check(v, items[i] ?? valueNode));
      } else if (kind === 'uniform' || kind === 'log_uniform') {
        if (schema.type !== 'number') fail(valueNode, `${key}: ranges are only for real-valued settings`);
        const bounds = spec[kind];
        if (!Array.isArray(bounds) || bounds.length !== 2 || !bounds.every((b) => typeof b === 'number' && Number.isFinite(b))) {
          fail(valueNode, `${key}: ${kind} needs [low, high]`);
        }
        const [low, high] = bounds as [number, number];
        if (!(low < high)) fail(valueNode, `${key}: ${kind} needs low < high, got [${low}, ${high}]`);
        if (kind === 'log_uniform' && low <= 0) fail(valueNode, `${key}: log_uniform needs low > 0, got ${low}`);
        check(low, valueNode);
        check(high, valueNode);
        ranges[key] = { kind, low, high };
      } else {
        fail(valueNode, `${key}: unknown range kind "${kind}"; expected choices, uniform or log_uniform`);
      }
    } else if (isSeq(valueNode) && !LIST_VALUED.has(schema.type)) {
      if (valueNode.items.length === 0) fail(valueNode, `${key}: a list of choices must not be empty`);
      choices[key] = valueNode.items.map((item) => check((item as Node).toJSON(), item as Node));
    } else {
      fixed[key] = check(value, valueNode);
    }
  }
  return { fixed, choices, ranges };
}

/** Reads and parses a grid file. Returns the grid; throws `GridError`, or `LimitError` for a grid over `options.maxRuns`. */
export async function readGrid(file: string, options: GridOptions = {}): Promise<Grid> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new GridError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  return parseGrid(file, text, options);
}

function draw(range: Range, u: number): number {
  const value = range.kind === 'uniform' ? range.low + u * (range.high - range.low) : Math.exp(Math.log(range.low) + u * (Math.log(range.high) - Math.log(range.low)));
  // Six significant digits keep configs readable and run.json round-trips exact.
  return Number(value.toPrecision(6));
}

/**
 * Expands a grid into runs: for each block in order, the cartesian product of choices (in
 * file order), then `samples` draws of the ranges per cell (one random stream across blocks),
 * then each seed. Ids are `run-0000`, ...
 * Returns the runs; throws `ConfigError` if a configuration is incomplete or invalid.
 */
export function expandGrid(grid: Grid): PlannedRun[] {
  const rng = createRng(grid.samplingSeed);
  const runs: PlannedRun[] = [];
  for (const block of grid.blocks) {
    let cells: Record<string, unknown>[] = [{}];
    for (const [key, values] of Object.entries(block.choices)) cells = cells.flatMap((cell) => values.map((value) => ({ ...cell, [key]: value })));
    for (const cell of cells) {
      for (let s = 0; s < grid.samples; s++) {
        const drawn: Record<string, number> = {};
        for (const [key, range] of Object.entries(block.ranges)) drawn[key] = draw(range, rng.uniform());
        for (const seed of grid.seeds) {
          const config = resolveConfig({ ...block.fixed, ...cell, ...drawn, seed });
          const shape = DATASET_SHAPES[config.dataset];
          programOf(config, shape, shape.classes);
          runs.push({ id: `run-${String(runs.length).padStart(4, '0')}`, config });
        }
      }
    }
  }
  return runs;
}
