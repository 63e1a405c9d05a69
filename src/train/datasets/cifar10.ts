/**
 * CIFAR-10 binary batches (Krizhevsky, "Learning multiple layers of features from tiny
 * images", 2009): each record is 1 label byte then 3,072 pixel bytes, the 1,024 red
 * values, then green, then blue, each a row-major 32x32 plane. Converted to NHWC here.
 */
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetFromSplits, DatasetError } from './dataset.js';
import type { Dataset, RawImages } from './dataset.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
/** The folder the official archive unpacks to. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

/** Decodes concatenated CIFAR-10 records. Throws `DatasetError` naming `file` on a partial record or a bad label. */
export function parseCifar10(file: string, bytes: Uint8Array): RawImages {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new DatasetError(`${file}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records`);
  }
  const count = bytes.length / RECORD;
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const record = n * RECORD;
    labels[n] = bytes[record];
    if (labels[n] > 9) throw new DatasetError(`${file}: record ${n} has label ${labels[n]}, expected 0-9`);
    const out = n * 3 * PLANE;
    for (let p = 0; p < PLANE; p++) {
      pixels[out + 3 * p] = bytes[record + 1 + p];
      pixels[out + 3 * p + 1] = bytes[record + 1 + PLANE + p];
      pixels[out + 3 * p + 2] = bytes[record + 1 + 2 * PLANE + p];
    }
  }
  return { pixels, labels, count, height: SIDE, width: SIDE, channels: 3 };
}

async function readBatches(dir: string, files: readonly string[]): Promise<RawImages> {
  const parts: RawImages[] = [];
  for (const name of files) {
    const file = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch {
      throw new DatasetError(`${file}: missing CIFAR-10 batch; fetch it with: epochgraph datasets download cifar10 --dir ${dir}`);
    }
    parts.push(parseCifar10(file, bytes));
  }
  const count = parts.reduce((n, p) => n + p.count, 0);
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let k = 0;
  for (const p of parts) {
    pixels.set(p.pixels, k * 3 * PLANE);
    labels.set(p.labels, k);
    k += p.count;
  }
  return { pixels, labels, count, height: SIDE, width: SIDE, channels: 3 };
}

/** CIFAR-10 from `dir` (or its `cifar-10-batches-bin/` subfolder). Returns the dataset. */
export async function cifar10FromDir(dir: string): Promise<Dataset> {
  let root = dir;
  try {
    await access(join(dir, CIFAR10_FOLDER));
    root = join(dir, CIFAR10_FOLDER);
  } catch {
    // batches directly in dir
  }
  const train = await readBatches(root, CIFAR10_TRAIN_FILES);
  const test = await readBatches(root, CIFAR10_TEST_FILES);
  return datasetFromSplits('cifar10', train, test, 10);
}
