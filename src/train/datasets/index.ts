/**
 * The dataset registry: how each dataset named in a training configuration is loaded.
 */
import { DATASET_NAMES } from '../../checkpoint/run-config.js';
import { OptionError } from '../../errors.js';
import { cifar10FromDir } from './cifar10.js';
import { DatasetError } from './dataset.js';
import type { Dataset } from './dataset.js';
import { packagedFashionMnist } from './fashion-mnist.js';
import { embeddedMnist, mnistFromIdx } from './mnist.js';
import { shapesDataset } from './shapes.js';

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  /** Directory with the dataset's IDX files or batches (required for cifar10; optional for mnist and fashion-mnist). */
  dataDir?: string;
  /** Keep only the first N training images (after the fixed split), for quick experiments. */
  trainLimit?: number;
}

const cache = new Map<string, Dataset>();

function limited(dataset: Dataset, trainLimit: number | undefined): Dataset {
  if (trainLimit === undefined || trainLimit >= dataset.train.count) return dataset;
  const size = dataset.height * dataset.width * dataset.channels;
  return {
    ...dataset,
    train: {
      images: dataset.train.images.subarray(0, trainLimit * size),
      labels: dataset.train.labels.subarray(0, trainLimit),
      count: trainLimit,
    },
  };
}

/**
 * Loads a dataset by name. `mnist` is the embedded 10,000 digits (8,000 train / 2,000
 * test) and `fashion-mnist` the `fashion-mnist` package's images (60,000 train / 9,946
 * test), unless `dataDir` holds the IDX files; `shapes` is generated. Loaded
 * datasets are cached per process (a zoo worker trains many runs on one dataset).
 * Returns the dataset; throws `DatasetError` for an unknown name or missing files.
 */
export async function loadDataset(name: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const key = `${name}\u0000${options.dataDir ?? ''}`;
  let dataset = cache.get(key);
  if (!dataset) {
    switch (name) {
      case 'mnist':
        dataset = options.dataDir ? await mnistFromIdx('mnist', options.dataDir) : embeddedMnist();
        break;
      case 'fashion-mnist':
        dataset = options.dataDir ? await mnistFromIdx('fashion-mnist', options.dataDir) : await packagedFashionMnist();
        break;
      case 'cifar10':
        if (!options.dataDir) throw new OptionError('dataDir', 'cifar10 needs the directory of its binary batches (`epochgraph datasets download cifar10` writes them)');
        dataset = await cifar10FromDir(options.dataDir);
        break;
      case 'shapes':
        dataset = shapesDataset();
        break;
      default:
        throw new DatasetError(`unknown dataset ${JSON.stringify(name)}; choose one of ${DATASET_NAMES.join(', ')}`);
    }
    cache.set(key, dataset);
  }
  return limited(dataset, options.trainLimit);
}

export type { Dataset, Split } from './dataset.js';
export { DatasetError } from './dataset.js';
