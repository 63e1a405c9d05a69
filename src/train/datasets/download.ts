/**
 * `epochgraph datasets download`: fetches the public dataset files into a local
 * directory, checks each file's published digest, and unpacks archives. Each file is
 * streamed to a temporary name and renamed only once its digest matches
 * (`writeFileAtomicWith`), so an interrupted download never leaves a file that looks complete.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar';
import { EpochgraphError } from '../../errors.js';
import { writeAll, writeFileAtomicWith } from '../../util/atomic-write.js';
import { DatasetError } from './dataset.js';

/** One downloadable file and its published digest. */
export interface Resource {
  readonly url: string;
  readonly digest: { readonly algorithm: 'md5' | 'sha256'; readonly hex: string };
  /** Unpack this .tar.gz into the target directory after download. */
  readonly untar?: boolean;
}

const MNIST_BASE = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
const FASHION_BASE = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** The files of each downloadable dataset (digests as published by the datasets' hosts and torchvision). */
export const DATASET_RESOURCES: Readonly<Record<string, readonly Resource[]>> = {
  mnist: [
    { url: `${MNIST_BASE}train-images-idx3-ubyte.gz`, digest: { algorithm: 'md5', hex: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' } },
    { url: `${MNIST_BASE}train-labels-idx1-ubyte.gz`, digest: { algorithm: 'md5', hex: 'd53e105ee54ea40749a09fcbcd1e9432' } },
    { url: `${MNIST_BASE}t10k-images-idx3-ubyte.gz`, digest: { algorithm: 'md5', hex: '9fb629c4189551a2d022fa330f9573f3' } },
    { url: `${MNIST_BASE}t10k-labels-idx1-ubyte.gz`, digest: { algorithm: 'md5', hex: 'ec29112dd5afa0611ce80d1b7f02629c' } },
  ],
  'fashion-mnist': [
    { url: `${FASHION_BASE}train-images-idx3-ubyte.gz`, digest: { algorithm: 'sha256', hex: '08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc' } },
    { url: `${FASHION_BASE}train-labels-idx1-ubyte.gz`, digest: { algorithm: 'sha256', hex: 'b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc' } },
    { url: `${FASHION_BASE}t10k-images-idx3-ubyte.gz`, digest: { algorithm: 'sha256', hex: '78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229' } },
    { url: `${FASHION_BASE}t10k-labels-idx1-ubyte.gz`, digest: { algorithm: 'sha256', hex: '42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf' } },
  ],
  cifar10: [
    {
      url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
      digest: { algorithm: 'md5', hex: 'c32a1d4ab5d03f1284b67883e8d87530' },
      untar: true,
    },
  ],
};

/** Progress callback: one call per finished file. */
export type DownloadProgress = (event: { file: string; bytes: number; skipped: boolean }) => void;

async function fileDigest(path: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  const { createReadStream } = await import('node:fs');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Downloads `resources` into `dir`: skips files already present with the right digest,
 * verifies every download, unpacks archives. Returns the local paths of the files.
 * Throws `DatasetError` on a network failure, an HTTP error or a digest mismatch.
 */
export async function downloadResources(resources: readonly Resource[], dir: string, onProgress?: DownloadProgress): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const resource of resources) {
    const target = join(dir, basename(new URL(resource.url).pathname));
    paths.push(target);
    if ((await exists(target)) && (await fileDigest(target, resource.digest.algorithm)) === resource.digest.hex) {
      onProgress?.({ file: target, bytes: (await stat(target)).size, skipped: true });
      continue;
    }
    let response: Response;
    try {
      response = await fetch(resource.url);
    } catch (error) {
      throw new DatasetError(`${resource.url}: download failed (${(error as Error).cause ?? (error as Error).message})`);
    }
    if (!response.ok || !response.body) throw new DatasetError(`${resource.url}: download failed with HTTP ${response.status}`);
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    // The file is renamed into place only once the whole download matches its digest.
    await writeFileAtomicWith(target, async (handle) => {
      const hash = createHash(resource.digest.algorithm);
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          await writeAll(handle, chunk);
        }
      } catch (error) {
        if (error instanceof EpochgraphError || (error as NodeJS.ErrnoException).syscall === 'write') throw error;
        throw new DatasetError(`${resource.url}: download interrupted (${(error as Error).message})`, { cause: error });
      }
      const actual = hash.digest('hex');
      if (actual !== resource.digest.hex) {
        throw new DatasetError(`${resource.url}: ${resource.digest.algorithm} ${actual} does not match the published ${resource.digest.hex}`);
      }
    });
    if (resource.untar) await extract({ file: target, cwd: dir });
    onProgress?.({ file: target, bytes: (await stat(target)).size, skipped: false });
  }
  return paths;
}

/** Downloads dataset `name` (mnist, fashion-mnist, cifar10) into `dir`. Returns the downloaded file paths. */
export async function downloadDataset(name: string, dir: string, onProgress?: DownloadProgress): Promise<string[]> {
  const resources = DATASET_RESOURCES[name];
  if (!resources) {
    throw new DatasetError(`unknown dataset ${JSON.stringify(name)} to download; choose one of ${Object.keys(DATASET_RESOURCES).join(', ')}`);
  }
  return downloadResources(resources, dir, onProgress);
}
