/**
 * The checkpoint abstraction every later stage reads through: a lazily opened file
 * that lists its tensors up front and reads each one's bytes only when asked.
 */
import type { DType, Tensor } from './tensor.js';

/** Checkpoint file formats epochgraph reads (docs/formats/). */
export type CheckpointFormat = 'safetensors' | 'pytorch' | 'onnx' | 'keras' | 'tfjs' | 'numpy';

/** Every format, in the order error messages list them. */
export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = Object.freeze(['safetensors', 'pytorch', 'onnx', 'keras', 'tfjs', 'numpy']);

/**
 * Parameter order:
 * - `natural`: numeric-aware sort of names (`net.2.weight` before `net.10.weight`);
 * - `file`: the order the file stores them in (a PyTorch state_dict keeps module registration order).
 */
export type ParameterOrder = 'natural' | 'file';

/** One tensor a checkpoint holds, known without reading its data. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Size of the tensor's data in bytes. */
  readonly byteLength: number;
}

/** An open checkpoint. Call `close()` when done. */
export interface CheckpointReader {
  readonly path: string;
  readonly format: CheckpointFormat;
  /** Free-form string metadata (safetensors `__metadata__`, ONNX `metadata_props` and graph; empty for PyTorch files). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The tensors, in the requested parameter order. */
  readonly entries: readonly TensorEntry[];
  /** Reads one tensor's data. Throws `CheckpointError` for an unknown name or unreadable data. */
  read(name: string): Promise<Tensor>;
  /** Releases the file handle. Idempotent. */
  close(): Promise<void>;
}

/** A fully read checkpoint. */
export interface Checkpoint {
  readonly path: string;
  readonly format: CheckpointFormat;
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in the requested parameter order. */
  readonly tensors: readonly Tensor[];
}
