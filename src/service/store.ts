/**
 * The service's storage: a zoo in the run-directory format (docs/run-format.md) that every
 * epochgraph command reads. Each uploaded epoch becomes `<data>/<run>/checkpoints/
 * epoch-NNNN.{safetensors,pt}` plus its history entry in `<data>/<run>/run.json`; the
 * service's own state of a run (its prediction, whether it was stopped) goes to
 * `<data>/<run>/service.json`, which other commands ignore.
 *
 * An upload is checked completely before anything is written: the body is staged in
 * `<data>/.incoming/` (a directory no command lists as a run), read as a checkpoint of
 * the declared format, compared with the run's earlier checkpoints; only then are the
 * checkpoint and run.json written, each atomically (src/util/atomic-write.ts), the
 * checkpoint first, so run.json never names an epoch whose weights are not on disk.
 * Operations on one run are serialised; different runs proceed in parallel.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CheckpointFormat } from '../checkpoint/checkpoint.js';
import { detectCheckpointFormat, openCheckpoint, readCheckpoint } from '../checkpoint/open.js';
import { CHECKPOINT_DIR, RUN_FILE, checkpointFileName, listZoo, parseRunManifest, readRun } from '../checkpoint/run.js';
import type { HistoryEntry, Run } from '../checkpoint/run.js';
import { EpochgraphError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { MAX_EPOCH } from '../util/epochs.js';
import { readJsonFile } from '../util/json-file.js';
import { printable } from '../util/format.js';
import { ServiceError } from './errors.js';

/** Run names: a letter or digit, then letters, digits, `.`, `_`, `-`; at most 128 characters. No path can be built from one but its own directory. */
export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The staging directory under the data directory. */
const INCOMING = '.incoming';
/** The service's state file of a run. */
export const SERVICE_FILE = 'service.json';

/** The metrics of one epoch, as the upload gave them; losses may be non-finite (divergence). */
export interface EpochMetrics {
  readonly train_loss: number | null;
  readonly train_acc: number | null;
  readonly test_loss: number | null;
  readonly test_acc: number | null;
  /** Wall-clock seconds the epoch took, when the client measured it (the replay's time saved). */
  readonly seconds?: number;
}

/** One uploaded epoch. */
export interface EpochUpload {
  readonly run: string;
  readonly epoch: number;
  readonly format: CheckpointFormat;
  readonly bytes: Uint8Array;
  readonly metrics: EpochMetrics;
  /** The run's configuration (hyperparameters); kept from the first upload that gives one. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** A predicted final test accuracy with its interval. */
export interface StoredPrediction {
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
}

/** What the service keeps about a run besides the zoo files. */
export interface ServiceState {
  /** Set once the model's window is complete and the run was predicted. */
  readonly prediction?: StoredPrediction;
  /** The last pruning decision. */
  readonly decision?: { readonly epoch: number; readonly prune: boolean; readonly reason: string };
  /** Whether the run was told to stop. */
  readonly pruned?: boolean;
  /** Whether the client said the run trained to its end. */
  readonly finished?: boolean;
}

/** A stored run as the service sees it. */
export interface StoredRun {
  readonly name: string;
  readonly run: Run;
  readonly state: ServiceState;
}

/** Options of `RunStore.open`. */
export interface RunStoreOptions {
  /**
   * Checks the first checkpoint of a new run (its staged file) against the model; throws
   * a `ServiceError` to refuse it. Later checkpoints must match the first one's tensors.
   */
  readonly checkFirstCheckpoint?: (file: string) => Promise<void>;
}

/** The result of `putEpoch`. */
export interface PutResult {
  /** `stored`: written now; `unchanged`: the same epoch with the same content was stored before. */
  readonly outcome: 'stored' | 'unchanged';
  readonly stored: StoredRun;
}

/** Checks a run name. Returns it; throws `ServiceError` 400 otherwise. */
export function checkRunName(name: string): string {
  if (!RUN_NAME.test(name)) {
    throw new ServiceError(400, 'bad_run_name', `run name ${JSON.stringify(printable(name.slice(0, 140)))} is not allowed: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

/** Checks an epoch number given as text. Returns it; throws `ServiceError` 400 otherwise. */
export function parseEpoch(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) > MAX_EPOCH) {
    throw new ServiceError(400, 'bad_epoch', `epoch ${JSON.stringify(printable(text.slice(0, 20)))} is not an integer from 0 to ${MAX_EPOCH.toLocaleString('en-US')}`);
  }
  return Number(text);
}

/**
 * Reads one epoch's metrics from `source` (query parameters as text, or a parsed JSON
 * object). Each is optional (absent or null: not measured). Losses may be `nan`/`inf`
 * (a diverged run); accuracies are fractions in [0, 1]; `seconds`, the epoch's wall-clock
 * time, is a number >= 0. Throws `ServiceError` 400 naming the metric.
 */
export function parseMetrics(source: Readonly<Record<string, unknown>>): EpochMetrics {
  const read = (key: Exclude<keyof EpochMetrics, 'seconds'>): number | null => {
    const raw = source[key];
    if (raw === undefined || raw === null || raw === '' || raw === 'null') return null;
    let value: number;
    if (typeof raw === 'number') value = raw;
    else if (typeof raw === 'string' && /^[+-]?(nan|inf|infinity)$/i.test(raw)) value = raw.toLowerCase().includes('nan') ? NaN : raw.startsWith('-') ? -Infinity : Infinity;
    else if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
    else throw new ServiceError(400, 'bad_metric', `${key} must be a number, got ${JSON.stringify(printable(String(raw).slice(0, 40)))}`);
    const isAccuracy = key.endsWith('_acc');
    if (isAccuracy && !(value >= 0 && value <= 1)) throw new ServiceError(400, 'bad_metric', `${key} = ${value} is not a fraction in [0, 1] (send accuracies as fractions)`);
    return value;
  };
  const seconds = source.seconds === undefined || source.seconds === null || source.seconds === '' ? undefined : Number(source.seconds);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) throw new ServiceError(400, 'bad_metric', `seconds must be a number >= 0, got ${JSON.stringify(printable(String(source.seconds).slice(0, 40)))}`);
  return { train_loss: read('train_loss'), train_acc: read('train_acc'), test_loss: read('test_loss'), test_acc: read('test_acc'), ...(seconds === undefined ? {} : { seconds }) };
}

/** The history entry of metrics: non-finite values become null, as run.json spells them. */
function historyEntry(epoch: number, metrics: EpochMetrics): HistoryEntry {
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    epoch,
    train_loss: finite(metrics.train_loss),
    train_acc: finite(metrics.train_acc),
    test_loss: finite(metrics.test_loss),
    test_acc: finite(metrics.test_acc),
    ...(metrics.seconds === undefined ? {} : { seconds: metrics.seconds }),
  };
}

/** Whether the metrics say the run diverged at this epoch (a loss that is not finite). */
function diverges(metrics: EpochMetrics): boolean {
  return [metrics.train_loss, metrics.test_loss].some((v) => v !== null && !Number.isFinite(v));
}

/** JSON with object keys sorted, to compare configurations by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** The tensors of a checkpoint as names and shapes, name-sorted: what must not change between a run's epochs. */
async function tensorSignature(file: string, format?: CheckpointFormat): Promise<string> {
  const reader = await openCheckpoint(file, { format });
  try {
    return reader.entries
      .map((e) => `${e.name}[${e.shape.join(',')}]`)
      .sort()
      .join(' ');
  } finally {
    await reader.close();
  }
}

/** A zoo directory written by the service. */
export class RunStore {
  private readonly runs = new Map<string, StoredRun>();
  /** Each run's tensor signature (names and shapes), from its first checkpoint. */
  private readonly signatures = new Map<string, string>();
  /** The tail of each run's chain of operations. */
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(
    readonly dir: string,
    private readonly options: RunStoreOptions,
  ) {}

  /**
   * Opens (creating it if needed) the data directory and loads the runs already in it.
   * Returns the store; throws `RunFormatError` for a run directory that does not follow the format.
   */
  static async open(dir: string, options: RunStoreOptions = {}): Promise<RunStore> {
    await mkdir(join(dir, INCOMING), { recursive: true });
    // Staged uploads of a process that died: never part of the zoo.
    await rm(join(dir, INCOMING), { recursive: true, force: true });
    await mkdir(join(dir, INCOMING), { recursive: true });
    const store = new RunStore(dir, options);
    for (const runDir of await listZoo(dir)) {
      const name = basename(runDir);
      if (!RUN_NAME.test(name)) continue;
      store.runs.set(name, { name, run: await readRun(runDir), state: await readState(runDir) });
    }
    return store;
  }

  /** Every stored run, in name order. */
  list(): StoredRun[] {
    return [...this.runs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The stored run `name`, or undefined. */
  get(name: string): StoredRun | undefined {
    return this.runs.get(name);
  }

  /** Runs `task` after every earlier operation on run `name` settled. Returns its result. */
  async withRun<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    const tail = current.catch(() => undefined);
    this.locks.set(name, tail);
    try {
      return await current;
    } finally {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    }
  }

  /** Resolves once every operation started so far on any run has settled. */
  async settled(): Promise<void> {
    while (this.locks.size > 0) await Promise.all(this.locks.values());
  }

  /**
   * Stores one epoch (call inside `withRun`). An epoch stored before with the same bytes
   * and metrics is `unchanged`; with other content it is refused (409). Returns the
   * outcome and the run as now stored; throws `ServiceError` (4xx) for a body that is not
   * a checkpoint of the declared format or does not match the run's earlier checkpoints,
   * with nothing written.
   */
  async putEpoch(upload: EpochUpload): Promise<PutResult> {
    const { run: name, epoch, format, bytes } = upload;
    const runDir = join(this.dir, name);
    const known = this.runs.get(name);
    const entry = historyEntry(epoch, upload.metrics);
    if (known) {
      const existing = known.run.checkpoints.find((c) => c.epoch === epoch);
      const recorded = known.run.history.find((h) => h.epoch === epoch);
      if (existing || recorded) {
        const sameBytes = existing !== undefined && Buffer.from(bytes).equals(await readFile(existing.path));
        const sameMetrics = recorded !== undefined && canonical(recorded) === canonical(entry);
        if (sameBytes && sameMetrics) return { outcome: 'unchanged', stored: known };
        throw new ServiceError(409, 'epoch_conflict', `run ${name}: epoch ${epoch} is stored already with ${sameBytes ? 'other metrics' : 'another checkpoint'}; an epoch is written once`);
      }
      if (upload.config !== undefined && canonical(upload.config) !== canonical(known.run.config)) {
        throw new ServiceError(409, 'config_conflict', `run ${name}: its config was stored with an earlier epoch and differs from this one`);
      }
    }
    const staged = join(this.dir, INCOMING, `${randomBytes(8).toString('hex')}-${checkpointFileName(epoch, format)}`);
    try {
      await writeFile(staged, bytes);
      await this.checkCheckpoint(name, staged, format, known);
      const signature = this.signatures.get(name) ?? (await tensorSignature(staged, format));
      await writeFileAtomic(join(runDir, CHECKPOINT_DIR, checkpointFileName(epoch, format)), bytes);
      await this.writeManifest(runDir, name, entry, diverges(upload.metrics), upload.config);
      this.signatures.set(name, signature);
    } finally {
      await rm(staged, { force: true });
    }
    const stored: StoredRun = { name, run: await readRun(runDir), state: known?.state ?? {} };
    this.runs.set(name, stored);
    return { outcome: 'stored', stored };
  }

  /** Records the service's state of run `name` (call inside `withRun`). Returns the run as now stored. */
  async setState(name: string, state: ServiceState): Promise<StoredRun> {
    const known = this.runs.get(name);
    if (!known) throw new EpochgraphError(`service: no run ${name}`);
    await writeFileAtomic(join(this.dir, name, SERVICE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    const stored = { ...known, state };
    this.runs.set(name, stored);
    return stored;
  }

  /** Refuses a staged body that is not a readable checkpoint of `format` or whose tensors differ from the run's. */
  private async checkCheckpoint(name: string, staged: string, format: CheckpointFormat, known: StoredRun | undefined): Promise<void> {
    let detected: CheckpointFormat;
    try {
      detected = await detectCheckpointFormat(staged);
      if (detected === format) await readCheckpoint(staged, { format });
    } catch (error) {
      if (!(error instanceof EpochgraphError)) throw error;
      throw new ServiceError(400, 'bad_checkpoint', `run ${name}: the body is not a readable ${format} checkpoint (${bodyDetail(error.message, staged)})`);
    }
    if (detected !== format) throw new ServiceError(415, 'format_mismatch', `run ${name}: the body is a ${detected} file but its content type says ${format}`);
    const earlier = known?.run.checkpoints[0];
    if (earlier === undefined) {
      await this.options.checkFirstCheckpoint?.(staged);
      return;
    }
    let expected = this.signatures.get(name);
    if (expected === undefined) {
      expected = await tensorSignature(earlier.path, earlier.format);
      this.signatures.set(name, expected);
    }
    if ((await tensorSignature(staged, format)) !== expected) {
      throw new ServiceError(422, 'architecture_mismatch', `run ${name}: the checkpoint's tensors (names and shapes) differ from those of its epoch ${earlier.epoch}`);
    }
  }

  /** Writes run.json with `entry` added, keeping what the file held (its extra keys too). */
  private async writeManifest(runDir: string, name: string, entry: HistoryEntry, diverged: boolean, config: Readonly<Record<string, unknown>> | undefined): Promise<void> {
    const file = join(runDir, RUN_FILE);
    const previous = this.runs.has(name) ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>) : { id: name, config: config ?? {}, history: [] };
    const history = [...(previous.history as HistoryEntry[]), entry].sort((a, b) => a.epoch - b.epoch);
    const divergedAt = previous.diverged_at_epoch as number | undefined;
    const next = { ...previous, history, ...(diverged && (divergedAt === undefined || entry.epoch < divergedAt) ? { diverged_at_epoch: entry.epoch } : {}) };
    parseRunManifest(file, next);
    await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
  }
}

/** A reader's message about a staged body, naming the upload instead of the staging file. */
function bodyDetail(message: string, staged: string): string {
  return printable(message.replaceAll(`${staged}: `, '').replaceAll(staged, 'the body'));
}

/** The service state of a run directory (none when it has no service.json). */
async function readState(runDir: string): Promise<ServiceState> {
  const file = join(runDir, SERVICE_FILE);
  if ((await stat(file).catch(() => undefined)) === undefined) return {};
  return (await readJsonFile(file, "service state file (remove it to recompute the run's state)")) as ServiceState;
}
