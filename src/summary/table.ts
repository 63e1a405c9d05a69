/**
 * Feature tables of a zoo: one row per run, one column per feature (`block:name`),
 * plus each run's target (final test accuracy) and configuration group (its config
 * without the seed: runs that differ only by seed share a group, and evaluation keeps
 * a group inside one fold). Written as CSV or Parquet.
 */
import { extname } from 'node:path';
import { readRun } from '../checkpoint/run.js';
import type { Run } from '../checkpoint/run.js';
import { OptionError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { columnName, parseColumn } from './columns.js';
import { runFeatures } from './features.js';
import type { FeatureBlock, RunFeatureOptions } from './features.js';

/** A zoo's features. `matrix` is row-major, `rows x columns.length`; missing values are NaN. */
export interface FeatureTable {
  /** Run directories, one per row. */
  readonly runs: readonly string[];
  readonly ids: readonly string[];
  /** Final test accuracy per run (NaN when not recorded). */
  readonly targets: Float64Array;
  /** Configuration group per run. */
  readonly groups: readonly string[];
  /** Whether each run diverged: its training loss became non-finite (at any time). */
  readonly diverged: Uint8Array;
  /** Each run's configuration, as in its run.json. */
  readonly configs: readonly Readonly<Record<string, unknown>>[];
  /** Column names, `block:feature`. */
  readonly columns: readonly string[];
  readonly matrix: Float64Array;
}

/** The configuration group of a run: its config without the seed, as canonical JSON. */
export function configurationGroup(config: Readonly<Record<string, unknown>>): string {
  const { seed, ...rest } = config;
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Progress callback: after each run. */
export type TableProgress = (done: number, total: number, run: string) => void;

/**
 * Extracts the features of every run in `runDirs` (one run in memory at a time).
 * Columns are the union over runs, in order of first appearance; a non-finite value is
 * stored as missing (NaN). `extract` gives a run's blocks (default `runFeatures`; a cache can
 * stand in). Returns the table; throws `RunFormatError` for a run lacking a window checkpoint.
 */
export async function buildFeatureTable(
  runDirs: readonly string[],
  options: RunFeatureOptions,
  onProgress?: TableProgress,
  extract: (run: Run, options: RunFeatureOptions) => ReturnType<typeof runFeatures> = runFeatures,
): Promise<FeatureTable> {
  const columnIndex = new Map<string, number>();
  const rows: Map<number, number>[] = [];
  const ids: string[] = [];
  const groups: string[] = [];
  const targets = new Float64Array(runDirs.length);
  const diverged = new Uint8Array(runDirs.length);
  const configs: Readonly<Record<string, unknown>>[] = [];
  for (const [i, dir] of runDirs.entries()) {
    const run = await readRun(dir);
    const blocks = await extract(run, options);
    const row = new Map<number, number>();
    for (const block of options.blocks) {
      const vector = blocks[block];
      if (!vector) continue;
      vector.names.forEach((name, k) => {
        const column = columnName(block, name);
        let index = columnIndex.get(column);
        if (index === undefined) {
          index = columnIndex.size;
          columnIndex.set(column, index);
        }
        // A feature is a finite number or missing: infinities (weight statistics of a tensor holding
        // one, log10 of a zero in a foreign config) mean nothing to the estimators.
        const value = vector.values[k];
        row.set(index, Number.isFinite(value) ? value : NaN);
      });
    }
    rows.push(row);
    ids.push(run.id);
    groups.push(configurationGroup(run.config));
    targets[i] = run.finalTestAcc ?? NaN;
    diverged[i] = run.diverged_at_epoch === undefined ? 0 : 1;
    configs.push(run.config);
    onProgress?.(i + 1, runDirs.length, dir);
  }
  const columns = [...columnIndex.keys()];
  const matrix = new Float64Array(rows.length * columns.length).fill(NaN);
  rows.forEach((row, r) => {
    for (const [c, value] of row) matrix[r * columns.length + c] = value;
  });
  return { runs: [...runDirs], ids, targets, groups, diverged, configs, columns, matrix };
}

/** The table of `rows` of `table` (in that order). */
export function selectTableRows(table: FeatureTable, rows: readonly number[]): FeatureTable {
  const width = table.columns.length;
  const matrix = new Float64Array(rows.length * width);
  rows.forEach((r, k) => matrix.set(table.matrix.subarray(r * width, (r + 1) * width), k * width));
  const pick = <T>(values: readonly T[]) => rows.map((r) => values[r]);
  return {
    runs: pick(table.runs),
    ids: pick(table.ids),
    targets: Float64Array.from(rows, (r) => table.targets[r]),
    groups: pick(table.groups),
    diverged: Uint8Array.from(rows, (r) => table.diverged[r]),
    configs: pick(table.configs),
    columns: table.columns,
    matrix,
  };
}

/** `table` with one more column, `name`, holding `values` (one per row, NaN: missing). */
export function withColumn(table: FeatureTable, name: string, values: ArrayLike<number>): FeatureTable {
  if (values.length !== table.runs.length) throw new RangeError(`withColumn: ${values.length} values for ${table.runs.length} rows`);
  if (table.columns.includes(name)) throw new RangeError(`withColumn: the table already has a column ${name}`);
  const width = table.columns.length;
  const matrix = new Float64Array(table.runs.length * (width + 1));
  for (let r = 0; r < table.runs.length; r++) {
    matrix.set(table.matrix.subarray(r * width, (r + 1) * width), r * (width + 1));
    matrix[r * (width + 1) + width] = values[r];
  }
  return { ...table, columns: [...table.columns, name], matrix };
}

/** Rows of `table` with a recorded final accuracy. */
export function labelledRows(table: FeatureTable): number[] {
  return table.runs.map((_, i) => i).filter((i) => !Number.isNaN(table.targets[i]));
}

/** Indices of the table's columns that belong to `blocks`. */
export function columnsOf(table: FeatureTable, blocks: readonly FeatureBlock[]): number[] {
  const wanted = new Set<string>(blocks);
  return table.columns.flatMap((c, i) => (wanted.has(parseColumn(c).block) ? [i] : []));
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvNumber(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}

/** The table as CSV text: run, id, group, diverged, final_test_acc, then the features (empty = missing). */
export function featureTableToCsv(table: FeatureTable): string {
  const lines = [['run', 'id', 'group', 'diverged', 'final_test_acc', ...table.columns].map(csvField).join(',')];
  const width = table.columns.length;
  table.runs.forEach((run, r) => {
    const cells = [csvField(run), csvField(table.ids[r]), csvField(table.groups[r]), String(table.diverged[r]), csvNumber(table.targets[r])];
    for (let c = 0; c < width; c++) cells.push(csvNumber(table.matrix[r * width + c]));
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** Writes the table to `file` (`.csv` or `.parquet`, atomically). Throws `OptionError` (field `featureFile`) for another extension. */
export async function writeFeatureTable(file: string, table: FeatureTable): Promise<void> {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return writeFileAtomic(file, featureTableToCsv(table));
  if (extension !== '.parquet') throw new OptionError('featureFile', `${file}: expected a .csv or .parquet file name`);
  const width = table.columns.length;
  const columnData = [
    { name: 'run', data: [...table.runs], type: 'STRING' as const },
    { name: 'id', data: [...table.ids], type: 'STRING' as const },
    { name: 'group', data: [...table.groups], type: 'STRING' as const },
    { name: 'diverged', data: [...table.diverged].map((d) => d === 1), type: 'BOOLEAN' as const },
    { name: 'final_test_acc', data: [...table.targets].map((t) => (Number.isNaN(t) ? null : t)), type: 'DOUBLE' as const },
    ...table.columns.map((name, c) => ({
      name,
      data: table.runs.map((_, r) => {
        const v = table.matrix[r * width + c];
        return Number.isNaN(v) ? null : v;
      }),
      type: 'DOUBLE' as const,
    })),
  ];
  // Loaded here: most tables are CSV and the writer is not needed otherwise.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  await writeFileAtomic(file, new Uint8Array(parquetWriteBuffer({ columnData })));
}

