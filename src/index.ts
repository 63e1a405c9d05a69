/**
 * epochgraph library API.
 */
export { EpochgraphError, CheckpointError, RunFormatError, UsageError } from './errors.js';
export type { DType, Tensor, TensorData, TensorStats } from './checkpoint/tensor.js';
export {
  DTYPE_BYTES,
  makeTensor,
  tensorStats,
  tensorToFloat32,
  tensorToFloat64,
} from './checkpoint/tensor.js';
export type { Checkpoint, CheckpointFormat, CheckpointReader, ParameterOrder, TensorEntry } from './checkpoint/checkpoint.js';
export { openCheckpoint, readCheckpoint, detectCheckpointFormat } from './checkpoint/open.js';
export type { OpenCheckpointOptions, ReadCheckpointOptions } from './checkpoint/open.js';
export { openSafetensors, writeSafetensors } from './checkpoint/safetensors.js';
export { compareNatural, sortNatural } from './util/natural-sort.js';
export { readRun, listZoo, listRunCheckpoints, parseRunManifest, checkpointFileName } from './checkpoint/run.js';
export type { Run, RunManifest, RunCheckpoint, HistoryEntry } from './checkpoint/run.js';
export { openPytorch } from './checkpoint/pytorch/reader.js';
