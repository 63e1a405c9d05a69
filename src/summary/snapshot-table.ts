/**
 * Snapshot tables: what feature extraction read from a zoo's checkpoints (`RunSnapshots`,
 * features.ts) in one Parquet file, so that the feature table of every window inside the
 * extracted epochs can be rebuilt from the runs' run.json alone (`windowFeatures`), without
 * the checkpoints: the form in which a study's features are kept and shared.
 *
 * One row per run and extracted epoch:
 *
 * | column | type | meaning |
 * | --- | --- | --- |
 * | `run` | STRING | the run's key (its directory name in the zoo) |
 * | `epoch` | INT32 | |
 * | `graph` | BOOLEAN | snapshot features extracted here: true; false: the snapshot has no graph (non-finite weights); null: not extracted |
 * | `update_from` | INT32 | the epoch of the update into this one (null: none extracted) |
 * | `update` | BOOLEAN | the update has features (false: one side has no graph) |
 * | `weights` | BOOLEAN | weight statistics extracted here |
 * | `snapshot:<name>`, `update:<name>`, `weights:<name>` | DOUBLE | the features (null: missing) |
 *
 * The file's key-value metadata `epochgraph.layout` names the feature layout. One table holds
 * runs whose snapshots have the same feature names (the runs of one architecture, or of any
 * architectures in the agnostic layout when their layer groups match); the writer refuses others.
 */
import { EpochgraphError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RunSnapshots } from './features.js';
import { LAYOUTS } from './snapshot.js';
import type { FeatureLayout, FeatureVector } from './snapshot.js';

const LAYOUT_KEY = 'epochgraph.layout';
const KINDS = ['snapshot', 'update', 'weights'] as const;
type Kind = (typeof KINDS)[number];

/** One run of a snapshot table. */
export interface SnapshotTableRun {
  /** The run's key: its directory name in the zoo. */
  readonly key: string;
  readonly snapshots: RunSnapshots;
}

/** A snapshot table read back. */
export interface SnapshotTable {
  readonly layout: FeatureLayout;
  /** By run key, in file order. */
  readonly runs: ReadonlyMap<string, SnapshotTableRun>;
}

function tableError(file: string, message: string): EpochgraphError {
  return new EpochgraphError(`snapshot table: ${file}: ${message}`);
}

/** The epochs a run has anything extracted at, ascending. */
function extractedEpochs(snapshots: RunSnapshots): number[] {
  return [...new Set([...snapshots.graph.keys(), ...snapshots.updates.keys(), ...snapshots.weights.keys()])].sort((a, b) => a - b);
}

/**
 * Writes `runs` (all extracted in `layout`) to `file` atomically. Throws `EpochgraphError`
 * naming the file and the run whose feature names differ from the first run's.
 */
export async function writeSnapshotTable(file: string, layout: FeatureLayout, runs: readonly SnapshotTableRun[]): Promise<void> {
  const names: Record<Kind, readonly string[] | undefined> = { snapshot: undefined, update: undefined, weights: undefined };
  const check = (kind: Kind, key: string, vector: FeatureVector | null | undefined) => {
    if (!vector) return;
    const known = names[kind];
    if (known === undefined) names[kind] = vector.names;
    else if (known.length !== vector.names.length || known.some((n, i) => n !== vector.names[i])) {
      throw tableError(file, `run ${key} has other ${kind} features than the first run (one table holds runs of one structure)`);
    }
  };
  const rows: { run: SnapshotTableRun; epoch: number }[] = [];
  for (const run of runs) {
    if (run.snapshots.layout !== layout) throw tableError(file, `run ${run.key} was extracted in the ${run.snapshots.layout} layout, the table's is ${layout}`);
    for (const epoch of extractedEpochs(run.snapshots)) {
      check('snapshot', run.key, run.snapshots.graph.get(epoch));
      check('update', run.key, run.snapshots.updates.get(epoch)?.features);
      check('weights', run.key, run.snapshots.weights.get(epoch));
      rows.push({ run, epoch });
    }
  }
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const vectorOf = (kind: Kind, run: SnapshotTableRun, epoch: number): FeatureVector | null | undefined =>
    kind === 'snapshot' ? run.snapshots.graph.get(epoch) : kind === 'update' ? run.snapshots.updates.get(epoch)?.features : run.snapshots.weights.get(epoch);
  const featureColumns = KINDS.flatMap((kind) =>
    (names[kind] ?? []).map((name, k) => ({
      name: `${kind}:${name}`,
      data: rows.map(({ run, epoch }) => orNull(vectorOf(kind, run, epoch)?.values[k])),
      type: 'DOUBLE' as const,
      encoding: 'BYTE_STREAM_SPLIT' as const,
    })),
  );
  const columnData = [
    { name: 'run', data: rows.map((r) => r.run.key), type: 'STRING' as const },
    { name: 'epoch', data: rows.map((r) => r.epoch), type: 'INT32' as const },
    { name: 'graph', data: rows.map(({ run, epoch }) => (run.snapshots.graph.has(epoch) ? run.snapshots.graph.get(epoch) !== null : null)), type: 'BOOLEAN' as const },
    { name: 'update_from', data: rows.map(({ run, epoch }) => run.snapshots.updates.get(epoch)?.from ?? null), type: 'INT32' as const },
    { name: 'update', data: rows.map(({ run, epoch }) => (run.snapshots.updates.has(epoch) ? run.snapshots.updates.get(epoch)?.features !== null : null)), type: 'BOOLEAN' as const },
    { name: 'weights', data: rows.map(({ run, epoch }) => run.snapshots.weights.has(epoch)), type: 'BOOLEAN' as const },
    ...featureColumns,
  ];
  // Loaded here: only tables need the writer.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  await writeFileAtomic(file, new Uint8Array(parquetWriteBuffer({ columnData, kvMetadata: [{ key: LAYOUT_KEY, value: layout }] })));
}

/** Reads a snapshot table. Returns it; throws `EpochgraphError` naming the file for anything malformed. */
export async function readSnapshotTable(file: string): Promise<SnapshotTable> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  let buffer;
  let metadata;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw tableError(file, code ? `cannot read (${code})` : 'not a Parquet file');
  }
  const layout = metadata.key_value_metadata?.find((kv) => kv.key === LAYOUT_KEY)?.value as FeatureLayout | undefined;
  if (layout === undefined || !LAYOUTS.includes(layout)) throw tableError(file, `not a snapshot table (no ${LAYOUT_KEY} among its metadata)`);
  const columns = metadata.schema.slice(1).map((s) => s.name);
  for (const required of ['run', 'epoch', 'graph', 'update_from', 'update', 'weights']) {
    if (!columns.includes(required)) throw tableError(file, `lacks the column ${required}`);
  }
  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, columns.filter((c) => c.startsWith(`${kind}:`))])) as Record<Kind, string[]>;
  const vector = (row: Record<string, unknown>, kind: Kind): FeatureVector => ({
    names: byKind[kind].map((c) => c.slice(kind.length + 1)),
    values: Float64Array.from(byKind[kind], (c) => (row[c] === null ? NaN : (row[c] as number))),
  });
  const runs = new Map<string, { key: string; snapshots: { layout: FeatureLayout; graph: Map<number, FeatureVector | null>; updates: Map<number, { from: number; features: FeatureVector | null }>; weights: Map<number, FeatureVector> }}>();
  for (const row of (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[]) {
    const key = row.run as string;
    const epoch = row.epoch as number;
    let run = runs.get(key);
    if (!run) {
      run = { key, snapshots: { layout, graph: new Map(), updates: new Map(), weights: new Map() } };
      runs.set(key, run);
    }
    if (row.graph !== null) run.snapshots.graph.set(epoch, row.graph ? vector(row, 'snapshot') : null);
    if (row.update_from !== null) run.snapshots.updates.set(epoch, { from: row.update_from as number, features: row.update ? vector(row, 'update') : null });
    if (row.weights) run.snapshots.weights.set(epoch, vector(row, 'weights'));
  }
  return { layout, runs };
}
