/**
 * `epochgraph/train`: training runs in TypeScript (tfjs on WebAssembly), architectures, datasets.
 */
export { trainRun, createTrainStep, makeOptimizer } from './train.js';
export { Adam, DEFAULTS as ADAM_DEFAULTS, MomentumSgd } from './optimizers.js';
export type { AdamOptions, MomentumSgdOptions, TrainingOptimizer } from './optimizers.js';
export type { TrainOptions, TrainProgress, TrainedRun, RunTiming } from './train.js';
export { resolveConfig, programOf, ConfigError } from './config.js';
export { ARCHITECTURES, CONFIG_SCHEMA, DATASET_NAMES } from '../checkpoint/run-config.js';
export type { TrainConfig } from '../checkpoint/run-config.js';
export { buildProgram } from './architectures.js';
export type { Program, Layer, InputShape, ArchitectureOptions } from './architectures.js';
export { loadDataset } from './datasets/index.js';
export type { Dataset, Split, LoadDatasetOptions } from './datasets/index.js';
export { downloadDataset } from './datasets/download.js';
