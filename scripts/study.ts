/**
 * The study of docs/RESULTS.md ("Four architectures, two datasets"): its zoos, where their
 * data is kept in the repository, and the windows every experiment is measured at. The grids
 * are examples/study/<name>.yaml; scripts/study-data.ts turns trained zoos into the kept
 * data, scripts/results.ts recomputes the section's tables from it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Run } from '../src/checkpoint/run.js';
import { runFeatures, windowFeatures } from '../src/summary/features.js';
import type { RunFeatureOptions, RunSnapshots } from '../src/summary/features.js';
import type { FeatureLayout } from '../src/summary/snapshot.js';
import { readSnapshotTable } from '../src/summary/snapshot-table.js';

export type StudyArchitecture = 'lenet5' | 'vgg' | 'alexnet' | 'resnet8';
export type StudyDataset = 'mnist' | 'fashion-mnist';

/** One zoo of the study: a cell (an architecture on a dataset at its width) or a width-transfer zoo. */
export interface StudyZoo {
  /** Its grid's name (examples/study/<name>.yaml) and its directory's. */
  readonly name: string;
  readonly arch: StudyArchitecture;
  readonly dataset: StudyDataset;
  readonly width: number;
  readonly role: 'cell' | 'narrow' | 'wide';
}

export const ARCHITECTURES: readonly StudyArchitecture[] = ['lenet5', 'vgg', 'alexnet', 'resnet8'];
export const DATASETS: readonly StudyDataset[] = ['mnist', 'fashion-mnist'];

/** How the tables name architectures. */
export const ARCHITECTURE_LABELS: Readonly<Record<StudyArchitecture, string>> = { lenet5: 'LeNet-5', vgg: 'VGG', alexnet: 'AlexNet', resnet8: 'ResNet-8' };
export const DATASET_LABELS: Readonly<Record<StudyDataset, string>> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

const CELL_WIDTHS: Readonly<Record<StudyArchitecture, number>> = { lenet5: 1, vgg: 0.5, alexnet: 0.25, resnet8: 0.5 };

export const STUDY_ZOOS: readonly StudyZoo[] = [
  ...DATASETS.flatMap((dataset) => ARCHITECTURES.map((arch): StudyZoo => ({ name: `${arch}-${dataset}`, arch, dataset, width: CELL_WIDTHS[arch], role: 'cell' }))),
  { name: 'lenet5-narrow-fashion-mnist', arch: 'lenet5', dataset: 'fashion-mnist', width: 0.5, role: 'narrow' },
  { name: 'lenet5-wide-fashion-mnist', arch: 'lenet5', dataset: 'fashion-mnist', width: 2, role: 'wide' },
  { name: 'vgg-narrow-fashion-mnist', arch: 'vgg', dataset: 'fashion-mnist', width: 0.25, role: 'narrow' },
  { name: 'vgg-wide-fashion-mnist', arch: 'vgg', dataset: 'fashion-mnist', width: 1, role: 'wide' },
];

/** The windows every experiment is measured at. */
export const WINDOWS: readonly (readonly number[])[] = [
  [0, 1],
  [0, 1, 2],
  [0, 1, 2, 3],
  [0, 1, 2, 3, 4],
];

/**
 * The feature layout of every experiment: the one that can transfer across widths and
 * architectures, so that the cells and the transfers are measured on the same features.
 */
export const STUDY_LAYOUT: FeatureLayout = 'agnostic';

/** The epochs the kept snapshot tables hold: every window's. */
export const SNAPSHOT_EPOCHS: readonly number[] = WINDOWS[WINDOWS.length - 1];

/** Where the kept data lives, relative to the repository. */
export const STUDY_DATA = join('results', 'study');

/** The snapshot table of a zoo's kept data. */
export function snapshotTableFile(zooDir: string): string {
  return join(zooDir, `snapshots-${STUDY_LAYOUT}.parquet`);
}

/** The extraction timings of a zoo's kept data. */
export function timingsFile(zooDir: string): string {
  return join(zooDir, 'feature-timings.json');
}

/** Each kept zoo's snapshots by run directory name, read once. */
const keptSnapshots = new Map<string, Promise<Map<string, RunSnapshots>>>();

/**
 * A run's features, as `runFeatures` gives them: rebuilt from the snapshot table kept beside
 * its run.json when its zoo directory holds one (results/study/<zoo>, no checkpoints), else
 * extracted from its checkpoints. For `buildFeatureTable`.
 */
export async function keptOrExtractedFeatures(run: Run, options: RunFeatureOptions): ReturnType<typeof runFeatures> {
  const zooDir = dirname(run.path);
  const file = snapshotTableFile(zooDir);
  if (!existsSync(file)) return runFeatures(run, options);
  let kept = keptSnapshots.get(zooDir);
  if (!kept) {
    kept = readSnapshotTable(file).then((table) => new Map([...table.runs].map(([key, entry]) => [key, entry.snapshots])));
    keptSnapshots.set(zooDir, kept);
  }
  const snapshots = (await kept).get(basename(run.path));
  if (!snapshots) throw new Error(`${run.path}: not in ${file}`);
  return windowFeatures(run, snapshots, options);
}
