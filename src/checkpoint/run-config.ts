/**
 * The training configuration's schema: every key a run's `config` may have when epochgraph
 * trained it (run.json records it with every default filled in), its type, bounds and
 * default, and how each becomes a hyperparameter feature. It belongs to the run format, so
 * that the trainer (which validates and fills configurations) and the summary (which
 * encodes them) share one owner without the summary loading the trainer.
 */

/** Architecture names epochgraph trains. */
export const ARCHITECTURES = ['mlp', 'lenet5', 'vgg', 'alexnet', 'resnet'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/** Defaults of the architecture options (before the width multiplier). */
export const ARCHITECTURE_DEFAULTS = Object.freeze({
  width: 1,
  dropout: 0,
  hidden: [256, 256] as readonly number[],
  stages: [[32], [64], [128, 128]] as readonly (readonly number[])[],
  batchNorm: false,
  depth: 8,
});

/** Dataset names epochgraph trains on. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'shapes'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Image shape and class count of each dataset, known without loading it (for validating grids). */
export const DATASET_SHAPES: Readonly<Record<DatasetName, { height: number; width: number; channels: number; classes: number }>> = Object.freeze({
  mnist: { height: 28, width: 28, channels: 1, classes: 10 },
  'fashion-mnist': { height: 28, width: 28, channels: 1, classes: 10 },
  cifar10: { height: 32, width: 32, channels: 3, classes: 10 },
  shapes: { height: 32, width: 32, channels: 3, classes: 10 },
});

/** Weight initialisations (PyTorch semantics; biases start at zero, batch-norm at gamma 1, beta 0). */
export const INITS = ['kaiming', 'xavier', 'small_normal'] as const;
export type InitName = (typeof INITS)[number];

/** A fully resolved training configuration (snake_case, as written to run.json). */
export interface TrainConfig {
  arch: (typeof ARCHITECTURES)[number];
  dataset: (typeof DATASET_NAMES)[number];
  epochs: number;
  batch_size: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  weight_decay: number;
  dropout: number;
  init: (typeof INITS)[number];
  width: number;
  seed: number;
  hidden: number[];
  stages: number[][];
  batch_norm: boolean;
  depth: number;
  /** Train on only the first N training images (null = all). */
  train_limit: number | null;
  /** Evaluate on a fixed seeded subset of N images of each split (null = the whole split). */
  eval_limit: number | null;
}

/**
 * How a key becomes hyperparameter features (the `hyper` feature block):
 * - `linear`: the value as is (`dropout`);
 * - `log10`: log10(value + offset), for rates and sizes spread over decades (`log10_lr`);
 * - `one-hot`: a 0/1 column per choice (`optimizer=adam`);
 * - `flag`: 1 for true, else 0;
 * - `sizes`: layer sizes as the number of layers and log10 of their total (`hidden_layers`,
 *   `log10_hidden_units`), only for runs of `archs` when given.
 * A key without an encoding is not a feature (the seed, the dataset, the training subset).
 */
export type HyperEncoding =
  | { readonly kind: 'linear' }
  | { readonly kind: 'log10'; readonly offset?: number }
  | { readonly kind: 'one-hot' }
  | { readonly kind: 'flag' }
  | { readonly kind: 'sizes'; readonly archs?: readonly ArchitectureName[] };

/** How one configuration key is validated, and encoded as a feature. */
export type FieldSchema = (
  | { type: 'choice'; choices: readonly string[]; default: string | null; help: string }
  | { type: 'number'; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean; default: number | null; help: string }
  | { type: 'integer'; min?: number; default: number | null; help: string; nullable?: boolean }
  | { type: 'boolean'; default: boolean; help: string }
  | { type: 'integer-list'; default: number[]; help: string }
  | { type: 'integer-list-list'; default: number[][]; help: string }
) & { readonly feature?: HyperEncoding };

/** The schema: every key a configuration may have, its type, bounds and default. */
export const CONFIG_SCHEMA: Readonly<Record<keyof TrainConfig, FieldSchema>> = Object.freeze({
  arch: { type: 'choice', choices: ARCHITECTURES, default: null, help: 'architecture', feature: { kind: 'one-hot' } },
  dataset: { type: 'choice', choices: DATASET_NAMES, default: 'mnist', help: 'dataset' },
  epochs: { type: 'integer', min: 1, default: 10, help: 'epochs to train', feature: { kind: 'linear' } },
  batch_size: { type: 'integer', min: 1, default: 64, help: 'minibatch size', feature: { kind: 'log10' } },
  optimizer: { type: 'choice', choices: ['sgd', 'adam'], default: 'sgd', help: 'optimizer', feature: { kind: 'one-hot' } },
  lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.01, help: 'learning rate', feature: { kind: 'log10' } },
  momentum: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.9, help: 'SGD momentum', feature: { kind: 'linear' } },
  // The offset keeps a decay of 0 finite: 1e-8 sits below any decay used in practice.
  weight_decay: { type: 'number', min: 0, default: 0, help: 'L2 weight decay (added to gradients, as PyTorch)', feature: { kind: 'log10', offset: 1e-8 } },
  dropout: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'dropout rate', feature: { kind: 'linear' } },
  init: { type: 'choice', choices: INITS, default: 'kaiming', help: 'weight initialisation', feature: { kind: 'one-hot' } },
  width: { type: 'number', min: 0, exclusiveMin: true, default: 1, help: 'width multiplier', feature: { kind: 'log10' } },
  seed: { type: 'integer', min: 0, default: 0, help: 'random seed (init, shuffling, dropout)' },
  // Encoded for every run (constant outside MLPs), as feature tables and model files have it.
  hidden: { type: 'integer-list', default: [...ARCHITECTURE_DEFAULTS.hidden], help: 'mlp hidden sizes', feature: { kind: 'sizes' } },
  stages: { type: 'integer-list-list', default: ARCHITECTURE_DEFAULTS.stages.map((s) => [...s]), help: 'vgg channels per stage', feature: { kind: 'sizes', archs: ['vgg'] } },
  batch_norm: { type: 'boolean', default: false, help: 'vgg: batch-norm after each conv', feature: { kind: 'flag' } },
  depth: { type: 'integer', min: 8, default: 8, help: 'resnet depth (6n+2)', feature: { kind: 'linear' } },
  train_limit: { type: 'integer', min: 1, default: null, nullable: true, help: 'train on the first N training images' },
  eval_limit: { type: 'integer', min: 1, default: null, nullable: true, help: 'evaluate on a fixed subset of N images of each split' },
});

/**
 * A run's configuration as hyperparameter features, key by key in schema order, each as
 * its schema's `feature` encoding says (a missing or non-numeric value gives NaN).
 * Returns the names and values.
 */
export function hyperparameterFeatures(config: Readonly<Record<string, unknown>>): { names: string[]; values: Float64Array } {
  const names: string[] = [];
  const values: number[] = [];
  for (const [key, schema] of Object.entries(CONFIG_SCHEMA) as [string, FieldSchema][]) {
    const encoding = schema.feature;
    const value = config[key];
    const number = typeof value === 'number' ? value : NaN;
    switch (encoding?.kind) {
      case undefined:
        break;
      case 'linear':
        names.push(key);
        values.push(number);
        break;
      case 'log10':
        names.push(`log10_${key}`);
        values.push(Math.log10(number + (encoding.offset ?? 0)));
        break;
      case 'one-hot':
        for (const choice of schema.type === 'choice' ? schema.choices : []) {
          names.push(`${key}=${choice}`);
          values.push(value === choice ? 1 : 0);
        }
        break;
      case 'flag':
        names.push(key);
        values.push(value === true ? 1 : 0);
        break;
      case 'sizes': {
        if (encoding.archs && !encoding.archs.includes(config.arch as ArchitectureName)) break;
        const sizes = Array.isArray(value) ? (value.flat() as unknown[]).filter((v): v is number => typeof v === 'number') : [];
        names.push(`${key}_layers`, `log10_${key}_units`);
        values.push(sizes.length, Math.log10(sizes.reduce((a, b) => a + b, 0) || NaN));
        break;
      }
    }
  }
  return { names, values: Float64Array.from(values) };
}

/**
 * The number of classes a run's network tells apart: `config.num_classes` when it is an
 * integer >= 2, else that of `config.dataset` when epochgraph knows it. Returns undefined
 * when neither says.
 */
export function classesOf(config: Readonly<Record<string, unknown>>): number | undefined {
  const stated = config.num_classes;
  if (typeof stated === 'number' && Number.isInteger(stated) && stated >= 2) return stated;
  const dataset = config.dataset;
  return typeof dataset === 'string' && Object.hasOwn(DATASET_SHAPES, dataset) ? DATASET_SHAPES[dataset as DatasetName].classes : undefined;
}
