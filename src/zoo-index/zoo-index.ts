/**
 * The zoo index: a DuckDB database (https://duckdb.org/docs/) in `<zoo>/zoo-index.duckdb`
 * holding a zoo's runs, their configurations, per-epoch history and cached features
 * (`<run>/features/`, written by `epochgraph features --queue`), for SQL over zoos of tens
 * of thousands of runs without reading their run.json files.
 *
 * Tables (docs/scale-out.md):
 * - `runs`: one row per run (rebuilt from the runs' records at each update): `run` (directory name), `id`, `path`, `last_epoch`,
 *   `final_*` metrics (the last history entry), `diverged_at_epoch`, `config` (JSON), and
 *   one column per configuration key (typed by its values; a key that collides with a
 *   column above stays inside `config`);
 * - `history`: `run`, `epoch`, `train_loss`, `train_acc`, `test_loss`, `test_acc`;
 * - `features`: long format, `run`, `epoch_window` (e.g. `0-3`), `layout`, `block`, `name`, `value`.
 *
 * Updates are incremental: a run is re-read only when its run.json or its features folder
 * changed (modification time), and runs gone from disk are dropped. The index is fresh
 * when every run's modification times match what it recorded.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { RUN_FILE, parseRunManifest } from '../checkpoint/run.js';
import { EpochgraphError, RunFormatError } from '../errors.js';
import { FEATURE_CACHE_DIR, readFeatureCaches, runJsonDigest } from './feature-cache.js';
import { formatEpochs } from '../util/epochs.js';
import { temporarySibling } from '../util/atomic-write.js';

/** The index's file name inside a zoo directory. */
export const INDEX_FILE = 'zoo-index.duckdb';

/** A zoo index that cannot be opened, or a query it cannot answer. */
export class ZooIndexError extends EpochgraphError {}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS indexed_runs (
  run VARCHAR, id VARCHAR, path VARCHAR, config VARCHAR, last_epoch INTEGER,
  final_train_loss DOUBLE, final_train_acc DOUBLE, final_test_loss DOUBLE, final_test_acc DOUBLE,
  diverged_at_epoch INTEGER, run_json_mtime_ms DOUBLE, features_mtime_ms DOUBLE
);
CREATE TABLE IF NOT EXISTS history (run VARCHAR, epoch INTEGER, train_loss DOUBLE, train_acc DOUBLE, test_loss DOUBLE, test_acc DOUBLE);
CREATE TABLE IF NOT EXISTS features (run VARCHAR, epoch_window VARCHAR, layout VARCHAR, block VARCHAR, name VARCHAR, value DOUBLE);
`;

/** Columns of the `runs` table before the configuration keys. */
const RUN_COLUMNS = ['run', 'id', 'path', 'last_epoch', 'final_train_loss', 'final_train_acc', 'final_test_loss', 'final_test_acc', 'diverged_at_epoch', 'config'];

/** A value of DuckDB's JS conversion as a JSON value. */
function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

/** File formats of `ZooIndex.export`. */
export const EXPORT_FORMATS = ['parquet', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What a run directory looks like on disk now: the modification times the index compares. */
interface RunStamp {
  readonly run: string;
  readonly runJsonMtimeMs: number;
  /** -1 without a features folder. */
  readonly featuresMtimeMs: number;
}

/** What `ZooIndex.update` did. */
export interface IndexUpdate {
  readonly index: string;
  readonly runs: number;
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  readonly featureRows: number;
}

/** Files read at once: enough to keep the file system busy, few enough for any ulimit. */
const READ_BATCH = 256;

/** The modification time of `path` in ms, or -1 when it does not exist. */
function mtimeOrMissing(path: string): number {
  // Synchronous: one stat per run on tens of thousands of runs is several times faster
  // than through the thread pool, and nothing else waits on the event loop meanwhile.
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? -1 : stats.mtimeMs;
}

/** The runs of `zooDir` (subdirectories with a run.json) and their modification times. Throws `RunFormatError` if the zoo cannot be listed. */
async function scanZoo(zooDir: string): Promise<RunStamp[]> {
  let entries;
  try {
    entries = await readdir(zooDir, { withFileTypes: true });
  } catch (error) {
    throw new RunFormatError(zooDir, `cannot list zoo directory (${(error as NodeJS.ErrnoException).code})`);
  }
  const stamps: RunStamp[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const runJsonMtimeMs = mtimeOrMissing(join(zooDir, entry.name, RUN_FILE));
    if (runJsonMtimeMs >= 0) stamps.push({ run: entry.name, runJsonMtimeMs, featuresMtimeMs: mtimeOrMissing(join(zooDir, entry.name, FEATURE_CACHE_DIR)) });
  }
  return stamps;
}

/** An open zoo index. Close it when done (DuckDB allows one writing process per file). */
export class ZooIndex {
  private constructor(
    readonly zooDir: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** The index file of `zooDir`. */
  static path(zooDir: string): string {
    return join(zooDir, INDEX_FILE);
  }

  /**
   * Opens (creating if needed) the index of `zooDir`. `readOnly` opens an existing index
   * without write access (several readers may share it). Throws `ZooIndexError` naming the file.
   */
  static async open(zooDir: string, options: { readOnly?: boolean } = {}): Promise<ZooIndex> {
    const file = ZooIndex.path(zooDir);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
    } catch (error) {
      throw new ZooIndexError(`${file}: cannot open the zoo index (${(error as Error).message.split('\n')[0]})`);
    }
    const connection = await instance.connect();
    if (!options.readOnly) await connection.run(SCHEMA);
    return new ZooIndex(zooDir, instance, connection);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** The modification times the index recorded, by run. */
  private async recorded(): Promise<Map<string, { runJsonMtimeMs: number; featuresMtimeMs: number }>> {
    const reader = await this.connection.runAndReadAll('SELECT run, run_json_mtime_ms, features_mtime_ms FROM indexed_runs');
    return new Map(reader.getRowsJS().map(([run, a, b]) => [run as string, { runJsonMtimeMs: a as number, featuresMtimeMs: b as number }]));
  }

  /** The configuration of every indexed run, by run directory name. */
  async configs(): Promise<Map<string, unknown>> {
    const reader = await this.connection.runAndReadAll('SELECT run, config FROM indexed_runs');
    return new Map(reader.getRowsJS().map(([run, config]) => [run as string, JSON.parse(config as string)]));
  }

  /** Whether the index matches the runs on disk (same runs, same modification times). */
  async freshness(): Promise<'stale' | 'fresh'> {
    const [recorded, stamps] = await Promise.all([this.recorded(), scanZoo(this.zooDir)]);
    if (recorded.size !== stamps.length) return 'stale';
    for (const stamp of stamps) {
      const known = recorded.get(stamp.run);
      if (!known || known.runJsonMtimeMs !== stamp.runJsonMtimeMs || known.featuresMtimeMs !== stamp.featuresMtimeMs) return 'stale';
    }
    return 'fresh';
  }

  /**
   * Brings the index up to date with the zoo on disk, re-reading only changed runs.
   * Returns what changed; throws `RunFormatError` for a malformed run.json.
   */
  async update(onProgress?: (done: number, total: number) => void): Promise<IndexUpdate> {
    const [recorded, stamps] = await Promise.all([this.recorded(), scanZoo(this.zooDir)]);
    const onDisk = new Set(stamps.map((s) => s.run));
    const changed = stamps.filter((s) => {
      const known = recorded.get(s.run);
      return !known || known.runJsonMtimeMs !== s.runJsonMtimeMs || known.featuresMtimeMs !== s.featuresMtimeMs;
    });
    const removed = [...recorded.keys()].filter((run) => !onDisk.has(run));
    const added = changed.filter((s) => !recorded.has(s.run)).length;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      await this.forget([...removed, ...changed.filter((s) => recorded.has(s.run)).map((s) => s.run)]);
      const featureRows = await this.ingest(changed, onProgress);
      await this.rebuildRuns();
      await this.connection.run('COMMIT');
      return { index: ZooIndex.path(this.zooDir), runs: stamps.length, added, updated: changed.length - added, removed: removed.length, featureRows };
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  /** Deletes every row of `runs`. */
  private async forget(runs: readonly string[]): Promise<void> {
    if (runs.length === 0) return;
    await this.connection.run('CREATE OR REPLACE TEMP TABLE forgotten (run VARCHAR)');
    const appender = await this.connection.createAppender('forgotten', 'main', 'temp');
    for (const run of runs) {
      appender.appendVarchar(run);
      appender.endRow();
    }
    appender.closeSync();
    for (const table of ['indexed_runs', 'history', 'features']) await this.connection.run(`DELETE FROM ${table} WHERE run IN (SELECT run FROM forgotten)`);
    await this.connection.run('DROP TABLE forgotten');
  }

  /** Reads the runs `stamps` from disk into the tables. Returns the number of feature rows added. */
  private async ingest(stamps: readonly RunStamp[], onProgress?: (done: number, total: number) => void): Promise<number> {
    const runs = await this.connection.createAppender('indexed_runs');
    const history = await this.connection.createAppender('history');
    const features = await this.connection.createAppender('features');
    let featureRows = 0;
    const nullable = (appender: DuckDBAppender, value: number | null | undefined, integer = false) => {
      if (value === null || value === undefined) appender.appendNull();
      else if (integer) appender.appendInteger(value);
      else appender.appendDouble(value);
    };
    for (let i = 0; i < stamps.length; i += READ_BATCH) {
      const batch = stamps.slice(i, i + READ_BATCH);
      const texts = await Promise.all(batch.map((s) => readFile(join(this.zooDir, s.run, RUN_FILE), 'utf8')));
      const caches = await Promise.all(batch.map((s, k) => (s.featuresMtimeMs < 0 ? [] : readFeatureCaches(join(this.zooDir, s.run), runJsonDigest(texts[k])))));
      for (const [k, stamp] of batch.entries()) {
        const file = join(this.zooDir, stamp.run, RUN_FILE);
        let value: unknown;
        try {
          value = JSON.parse(texts[k]);
        } catch (error) {
          throw new RunFormatError(file, `not valid JSON (${(error as Error).message})`);
        }
        const manifest = parseRunManifest(file, value);
        const last = manifest.history.at(-1);
        runs.appendVarchar(stamp.run);
        runs.appendVarchar(manifest.id);
        runs.appendVarchar(resolve(this.zooDir, stamp.run));
        runs.appendVarchar(JSON.stringify(manifest.config));
        nullable(runs, last?.epoch, true);
        nullable(runs, last?.train_loss);
        nullable(runs, last?.train_acc);
        nullable(runs, last?.test_loss);
        nullable(runs, last?.test_acc);
        nullable(runs, manifest.diverged_at_epoch, true);
        runs.appendDouble(stamp.runJsonMtimeMs);
        runs.appendDouble(stamp.featuresMtimeMs);
        runs.endRow();
        for (const entry of manifest.history) {
          history.appendVarchar(stamp.run);
          history.appendInteger(entry.epoch);
          nullable(history, entry.train_loss);
          nullable(history, entry.train_acc);
          nullable(history, entry.test_loss);
          nullable(history, entry.test_acc);
          history.endRow();
        }
        for (const cache of caches[k]) {
          for (const [block, vector] of Object.entries(cache.blocks)) {
            vector.names.forEach((name, c) => {
              features.appendVarchar(stamp.run);
              features.appendVarchar(formatEpochs(cache.window));
              features.appendVarchar(cache.layout);
              features.appendVarchar(block);
              features.appendVarchar(name);
              nullable(features, Number.isNaN(vector.values[c]) ? null : vector.values[c]);
              features.endRow();
              featureRows++;
            });
          }
        }
      }
      onProgress?.(Math.min(i + READ_BATCH, stamps.length), stamps.length);
    }
    for (const appender of [runs, history, features]) appender.closeSync();
    return featureRows;
  }

  /**
   * Recreates the `runs` table with one typed column per configuration key. A table, not a
   * view: queries then read plain columns instead of parsing every run's JSON again.
   */
  private async rebuildRuns(): Promise<void> {
    const reader = await this.connection.runAndReadAll(
      `SELECT key, list_distinct(list(json_type(config::JSON -> key))) AS types
       FROM indexed_runs, unnest(json_keys(config::JSON)) AS k(key) GROUP BY key ORDER BY min(key)`,
    );
    const keyColumns = reader
      .getRowsJS()
      .filter(([key]) => !RUN_COLUMNS.includes(key as string))
      .map(([key, types]) => {
        const kinds = (types as string[]).filter((t) => t !== 'NULL');
        const literal = `'${(key as string).replaceAll("'", "''")}'`;
        const column = `"${(key as string).replaceAll('"', '""')}"`;
        if (kinds.length > 0 && kinds.every((t) => t === 'BIGINT' || t === 'UBIGINT' || t === 'DOUBLE')) {
          return `CAST(config::JSON ->> ${literal} AS ${kinds.includes('DOUBLE') ? 'DOUBLE' : 'BIGINT'}) AS ${column}`;
        }
        if (kinds.length > 0 && kinds.every((t) => t === 'BOOLEAN')) return `CAST(config::JSON ->> ${literal} AS BOOLEAN) AS ${column}`;
        if (kinds.length > 0 && kinds.every((t) => t === 'VARCHAR')) return `config::JSON ->> ${literal} AS ${column}`;
        return `config::JSON -> ${literal} AS ${column}`;
      });
    const base = RUN_COLUMNS.map((c) => (c === 'config' ? 'config::JSON AS config' : c));
    await this.connection.run(`CREATE OR REPLACE TABLE runs AS SELECT ${[...base, ...keyColumns].join(', ')} FROM indexed_runs ORDER BY run`);
  }

  /**
   * Runs `sql`. Returns the column names and the rows as JSON values (integers as numbers
   * when exact, else as strings; dates as ISO strings). Throws `ZooIndexError` with DuckDB's message.
   */
  async query(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowsJS().map((row) => row.map(toJsonValue)) };
    } catch (error) {
      throw new ZooIndexError(`query: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /**
   * Writes the result of `sql` to `file` through DuckDB's COPY, atomically, in the format of
   * the file's extension (`.parquet`, `.csv` or `.json`). Throws `ZooIndexError`.
   */
  async export(sql: string, file: string): Promise<void> {
    const format = (EXPORT_FORMATS as readonly string[]).find((f) => extname(file).toLowerCase() === `.${f}`) as ExportFormat | undefined;
    if (!format) throw new ZooIndexError(`${file}: expected a .parquet, .csv or .json file name`);
    await mkdir(dirname(resolve(file)), { recursive: true });
    const tmp = temporarySibling(file);
    try {
      await this.copy(sql, tmp, format);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** The result of `sql` as CSV text with a header (DuckDB's quoting). Throws `ZooIndexError`. */
  async csv(sql: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'epochgraph-query-'));
    try {
      await this.copy(sql, join(dir, 'result.csv'), 'csv');
      return await readFile(join(dir, 'result.csv'), 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async copy(sql: string, target: string, format: ExportFormat): Promise<void> {
    // In place (no temporary file of DuckDB's): the target is a fresh name.
    const options = { parquet: 'FORMAT PARQUET', csv: 'FORMAT CSV, HEADER', json: 'FORMAT JSON' }[format];
    try {
      await this.connection.run(`COPY (${sql.trim().replace(/;$/, '')}) TO '${target.replaceAll("'", "''")}' (${options}, USE_TMP_FILE false)`);
    } catch (error) {
      throw new ZooIndexError(`query: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * The index of `zooDir`, opened read-only, if it exists and is fresh; undefined otherwise,
 * or while another process writes it (commands then read the run directories). Close it when done.
 */
export async function openFreshZooIndex(zooDir: string): Promise<ZooIndex | undefined> {
  if (mtimeOrMissing(ZooIndex.path(zooDir)) < 0) return undefined;
  const index = await ZooIndex.open(zooDir, { readOnly: true }).catch((error: unknown) => {
    if (error instanceof ZooIndexError) return undefined;
    throw error;
  });
  if (!index) return undefined;
  if ((await index.freshness()) === 'fresh') return index;
  index.close();
  return undefined;
}
