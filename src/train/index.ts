/**
 * `epochgraph/train`: training runs in TypeScript (tfjs on WebAssembly), architectures, datasets.
 */
export { trainRun, createTrainStep, makeOptimizer } from './train.js';
export { Adam, ADAM_DEFAULTS, MomentumSgd } from './optimizers.js';
export type { AdamOptions, MomentumSgdOptions, TrainingOptimizer } from './optimizers.js';
export type { TrainOptions, TrainProgress, TrainedRun, RunTiming } from './train.js';
export { resolveConfig, programOf, CONFIG_SCHEMA, ConfigError } from './config.js';
export type { TrainConfig } from './config.js';
export { buildProgram, ARCHITECTURES } from './architectures.js';
export type { Program, Layer, InputShape, ArchitectureOptions } from './architectures.js';
export { loadDataset, DATASET_NAMES } from './datasets/index.js';
export type { Dataset, Split, LoadDatasetOptions } from './datasets/index.js';
export { downloadDataset } from './datasets/download.js';
