/**
 * In-memory image classification datasets.
 *
 * Layout: images are float32 NHWC (`[count, height, width, channels]`, row-major),
 * already normalised per channel ((x - mean) / std, x in [0, 1]); labels are class
 * indices. Train and test splits are fixed by a seed independent of any run's seed,
 * so every run of a zoo is evaluated on the same test images.
 */
import { EpochgraphError } from '../../errors.js';
import { createRng, shuffleInPlace } from '../../util/random.js';

/** One split of a dataset. */
export interface Split {
  /** `[count, height, width, channels]` float32, normalised. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** A dataset ready for training. */
export interface Dataset {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classes: number;
  readonly train: Split;
  readonly test: Split;
}

/** A dataset's images before normalisation: bytes (0-255) or fractions, NHWC. */
export interface RawImages {
  readonly pixels: Uint8Array | Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** A dataset-level error (bad file, unknown name). */
export class DatasetError extends EpochgraphError {}

/** Per-channel mean and standard deviation of pixel values in [0, 1]. */
export function channelStatistics(raw: RawImages): { mean: Float64Array; std: Float64Array } {
  const { channels } = raw;
  const scale = raw.pixels instanceof Uint8Array ? 1 / 255 : 1;
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const { pixels } = raw;
  // Channel by channel in pixel order, without a modulo per value (the sums' order is unchanged).
  for (let i = 0, c = 0; i < pixels.length; i++) {
    const v = pixels[i] * scale;
    sum[c] += v;
    sumSquares[c] += v * v;
    if (++c === channels) c = 0;
  }
  const n = raw.pixels.length / channels;
  const mean = sum.map((s) => s / n);
  const std = sumSquares.map((s, c) => Math.sqrt(Math.max(s / n - mean[c] * mean[c], 1e-12)));
  return { mean, std };
}

/** Normalises the selected images (by index) with the given statistics. Returns a split. */
export function normalisedSplit(
  raw: RawImages,
  indices: ArrayLike<number>,
  mean: Float64Array,
  std: Float64Array,
): Split {
  const size = raw.height * raw.width * raw.channels;
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  const { pixels, channels } = raw;
  if (pixels instanceof Uint8Array) {
    // Bytes take 256 values per channel: look each normalised value up (the same double, then rounded to float32).
    const table = new Float64Array(channels * 256);
    for (let c = 0; c < channels; c++) for (let v = 0; v < 256; v++) table[c * 256 + v] = (v * (1 / 255) - mean[c]) / std[c];
    for (let k = 0; k < indices.length; k++) {
      const from = indices[k] * size;
      const to = k * size;
      for (let j = 0, c = 0; j < size; j++) {
        images[to + j] = table[c * 256 + pixels[from + j]];
        if (++c === channels) c = 0;
      }
      labels[k] = raw.labels[indices[k]];
    }
  } else {
    for (let k = 0; k < indices.length; k++) {
      const from = indices[k] * size;
      const to = k * size;
      for (let j = 0; j < size; j++) {
        const c = j % channels;
        images[to + j] = (pixels[from + j] - mean[c]) / std[c];
      }
      labels[k] = raw.labels[indices[k]];
    }
  }
  return { images, labels, count: indices.length };
}

/** A permutation of 0..n-1, deterministic in `seed`. */
export function permutation(n: number, seed: number): Uint32Array {
  return shuffleInPlace(Uint32Array.from({ length: n }, (_, i) => i), createRng(seed));
}

/**
 * Builds a dataset from separate train and test images, normalised with the training
 * set's statistics. Returns the dataset.
 */
export function datasetFromSplits(name: string, train: RawImages, test: RawImages, classes: number): Dataset {
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new DatasetError(`${name}: train and test images differ in size`);
  }
  const { mean, std } = channelStatistics(train);
  const all = (raw: RawImages) => Uint32Array.from({ length: raw.count }, (_, i) => i);
  return {
    name,
    height: train.height,
    width: train.width,
    channels: train.channels,
    classes,
    train: normalisedSplit(train, all(train), mean, std),
    test: normalisedSplit(test, all(test), mean, std),
  };
}

/**
 * Builds a dataset from one pool of images by a seeded shuffle: the first `trainCount`
 * go to training, the rest to test. Normalised with the training part's statistics.
 */
export function datasetFromPool(name: string, pool: RawImages, trainCount: number, classes: number, splitSeed: number): Dataset {
  if (trainCount <= 0 || trainCount >= pool.count) {
    throw new DatasetError(`${name}: cannot split ${pool.count} images into ${trainCount} for training and the rest for test`);
  }
  const order = permutation(pool.count, splitSeed);
  const trainIdx = order.subarray(0, trainCount);
  const testIdx = order.subarray(trainCount);
  const size = pool.height * pool.width * pool.channels;
  const trainPixels = pool.pixels instanceof Uint8Array ? new Uint8Array(trainCount * size) : new Float32Array(trainCount * size);
  for (let k = 0; k < trainCount; k++) trainPixels.set(pool.pixels.subarray(trainIdx[k] * size, (trainIdx[k] + 1) * size), k * size);
  const { mean, std } = channelStatistics({ ...pool, pixels: trainPixels, count: trainCount });
  return {
    name,
    height: pool.height,
    width: pool.width,
    channels: pool.channels,
    classes,
    train: normalisedSplit(pool, trainIdx, mean, std),
    test: normalisedSplit(pool, testIdx, mean, std),
  };
}
