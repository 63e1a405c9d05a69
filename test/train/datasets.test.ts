import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar10FromDir, parseCifar10 } from '../../src/train/datasets/cifar10.js';
import { DatasetError } from '../../src/train/datasets/dataset.js';
import { downloadResources } from '../../src/train/datasets/download.js';
import { parseIdx, readIdx } from '../../src/train/datasets/idx.js';
import { loadDataset } from '../../src/train/datasets/index.js';
import { embeddedMnist, mnistFromIdx } from '../../src/train/datasets/mnist.js';
import { generateShapes, shapesDataset } from '../../src/train/datasets/shapes.js';
import { tempDir } from '../helpers.js';

/** IDX bytes of unsigned-byte data with the given shape. */
function idx(shape: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, 0x08, shape.length]);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

function imagesWithLabels(count: number, rows: number, cols: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = (i * 31 + seed * 7) % 256;
  const labels = Uint8Array.from({ length: count }, (_, i) => (i + seed) % 10);
  return { images, labels };
}

describe('IDX files', () => {
  it('parses shape and data, big-endian sizes', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const parsed = parseIdx('x', idx([2, 3, 4], data));
    expect(parsed.shape).toEqual([2, 3, 4]);
    expect([...parsed.data]).toEqual([...data]);
  });

  it('refuses a bad magic number, a non-byte type and a size mismatch', () => {
    expect(() => parseIdx('f', new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/f: not an IDX file/);
    expect(() => parseIdx('f', new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/type 0xd is not unsigned byte/);
    expect(() => parseIdx('f', idx([5], new Uint8Array(4)))).toThrow(/needs 5 bytes of data, file has 4/);
  });

  it('reads gzipped and plain files alike', async () => {
    const dir = tempDir();
    const bytes = idx([3], new Uint8Array([7, 8, 9]));
    writeFileSync(join(dir, 'plain'), bytes);
    writeFileSync(join(dir, 'zipped'), gzipSync(bytes));
    expect([...(await readIdx(join(dir, 'plain'))).data]).toEqual([7, 8, 9]);
    expect([...(await readIdx(join(dir, 'zipped'))).data]).toEqual([7, 8, 9]);
  });

  it('loads an MNIST directory, normalising with training statistics', async () => {
    const dir = tempDir();
    const train = imagesWithLabels(20, 28, 28, 1);
    const test = imagesWithLabels(10, 28, 28, 2);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([20, 28, 28], train.images)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([20], train.labels));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([10, 28, 28], test.images));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([10], test.labels)));
    const dataset = await mnistFromIdx('mnist', dir);
    expect([dataset.train.count, dataset.test.count, dataset.height, dataset.width, dataset.channels]).toEqual([20, 10, 28, 28, 1]);
    expect([...dataset.test.labels]).toEqual([...test.labels]);
    const mean = dataset.train.images.reduce((a, b) => a + b, 0) / dataset.train.images.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    const fromPixel = (train.images[5] / 255 - train.images.reduce((a, b) => a + b / 255, 0) / train.images.length) / dataset.train.images[5];
    expect(fromPixel).toBeGreaterThan(0);
  });

  it('names the missing file and how to get it', async () => {
    await expect(mnistFromIdx('mnist', tempDir())).rejects.toThrow(/missing train-images-idx3-ubyte .*datasets download mnist/);
  });
});

describe('CIFAR-10 binary batches', () => {
  function records(count: number, firstLabel: number): Uint8Array {
    const bytes = new Uint8Array(count * 3073);
    for (let n = 0; n < count; n++) {
      bytes[n * 3073] = (firstLabel + n) % 10;
      for (let p = 0; p < 3072; p++) bytes[n * 3073 + 1 + p] = (p + n) % 251;
    }
    return bytes;
  }

  it('converts planar RGB records to NHWC', () => {
    const raw = parseCifar10('b', records(2, 3));
    expect([...raw.labels]).toEqual([3, 4]);
    // Pixel (row 1, col 2) of image 1: red plane index 34, green 1024 + 34, blue 2048 + 34.
    const p = 34;
    const base = 1 * 3072 + p * 3;
    expect([raw.pixels[base], raw.pixels[base + 1], raw.pixels[base + 2]]).toEqual([(p + 1) % 251, (1024 + p + 1) % 251, (2048 + p + 1) % 251]);
  });

  it('refuses partial records and bad labels', () => {
    expect(() => parseCifar10('b', new Uint8Array(3000))).toThrow(/not a whole number of 3073-byte/);
    const bad = records(1, 0);
    bad[0] = 12;
    expect(() => parseCifar10('b', bad)).toThrow(/record 0 has label 12/);
  });

  it('loads the unpacked archive folder', async () => {
    const dir = tempDir();
    const folder = join(dir, 'cifar-10-batches-bin');
    mkdirSync(folder);
    for (let i = 1; i <= 5; i++) writeFileSync(join(folder, `data_batch_${i}.bin`), records(2, i));
    writeFileSync(join(folder, 'test_batch.bin'), records(3, 0));
    const dataset = await cifar10FromDir(dir);
    expect([dataset.train.count, dataset.test.count, dataset.channels]).toEqual([10, 3, 3]);
    expect([...dataset.train.labels.subarray(0, 2)]).toEqual([1, 2]);
  });
});

describe('embedded and generated datasets', () => {
  it('splits the embedded 10,000 MNIST digits 8,000 / 2,000, the same way every time', () => {
    const a = embeddedMnist(0);
    const b = embeddedMnist(0);
    expect([a.train.count, a.test.count]).toEqual([8000, 2000]);
    expect(Buffer.from(a.test.labels)).toEqual(Buffer.from(b.test.labels));
    const counts = new Array(10).fill(0);
    for (const label of a.test.labels) counts[label]++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
  });

  it('generates shapes deterministically, balanced over ten classes, pixels in [0, 1]', () => {
    const a = generateShapes(50, 7);
    const b = generateShapes(50, 7);
    const c = generateShapes(50, 8);
    expect(Buffer.from(a.pixels.buffer)).toEqual(Buffer.from(b.pixels.buffer));
    expect(Buffer.from(a.pixels.buffer)).not.toEqual(Buffer.from(c.pixels.buffer));
    expect(new Set(a.labels).size).toBe(10);
    expect(a.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    const small = shapesDataset({ count: 100, trainCount: 80 });
    expect([small.train.count, small.test.count, small.channels, small.classes]).toEqual([80, 20, 3, 10]);
  });

  it('limits the training set and refuses unknown names', async () => {
    const limited = await loadDataset('mnist', { trainLimit: 100 });
    expect(limited.train.count).toBe(100);
    expect(limited.test.count).toBe(2000);
    await expect(loadDataset('imagenet')).rejects.toThrow(DatasetError);
    await expect(loadDataset('cifar10')).rejects.toThrow(/^dataDir: cifar10 needs the directory of its binary batches/);
  });
});

describe('dataset download', () => {
  let server: ReturnType<typeof createServer>;
  let base: string;
  const files = new Map<string, Uint8Array>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const body = files.get(request.url ?? '');
      if (!body) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

  it('downloads, verifies, skips what is present, and unpacks archives', async () => {
    const labels = gzipSync(idx([3], new Uint8Array([1, 2, 3])));
    files.set('/labels.gz', labels);
    const staging = tempDir();
    mkdirSync(join(staging, 'cifar-10-batches-bin'));
    writeFileSync(join(staging, 'cifar-10-batches-bin', 'test_batch.bin'), new Uint8Array([5]));
    const archive = join(tempDir(), 'a.tar.gz');
    await createTar({ gzip: true, file: archive, cwd: staging }, ['cifar-10-batches-bin']);
    const archiveBytes = readFileSync(archive);
    files.set('/archive.tar.gz', archiveBytes);
    const dir = tempDir();
    const resources = [
      { url: `${base}/labels.gz`, digest: { algorithm: 'md5' as const, hex: md5(labels) } },
      { url: `${base}/archive.tar.gz`, digest: { algorithm: 'md5' as const, hex: md5(archiveBytes) }, untar: true },
    ];
    const events: boolean[] = [];
    await downloadResources(resources, dir, (e) => events.push(e.skipped));
    expect([...(await readIdx(join(dir, 'labels.gz'))).data]).toEqual([1, 2, 3]);
    expect(readFileSync(join(dir, 'cifar-10-batches-bin', 'test_batch.bin'))).toEqual(Buffer.from([5]));
    await downloadResources(resources, dir, (e) => events.push(e.skipped));
    expect(events).toEqual([false, false, true, true]);
  });

  it('refuses a file whose digest does not match, leaving nothing behind', async () => {
    files.set('/tampered', new Uint8Array([1, 2, 3]));
    const dir = tempDir();
    await expect(downloadResources([{ url: `${base}/tampered`, digest: { algorithm: 'md5', hex: '0'.repeat(32) } }], dir)).rejects.toThrow(
      /md5 .* does not match the published 0{32}/,
    );
    expect(existsSync(join(dir, 'tampered'))).toBe(false);
    expect(existsSync(join(dir, 'tampered.partial'))).toBe(false);
  });

  it('reports HTTP errors with the URL', async () => {
    await expect(downloadResources([{ url: `${base}/missing`, digest: { algorithm: 'md5', hex: '' } }], tempDir())).rejects.toThrow(/missing: download failed with HTTP 404/);
  });
});
