/**
 * The checkpoint abstraction every later stage reads through: a lazily opened file
 * that lists its tensors up front and reads each one's bytes only when asked.
 */
import { LimitError } from '../errors.js';
import type { DType, Tensor } from './tensor.js';

/** Limits every checkpoint reader applies to what a file declares, before reading any tensor data. */
export const DEFAULTS = Object.freeze({
  /** Most tensors a checkpoint may hold (large language models hold a few thousand). */
  maxTensors: 100_000,
  /** Most bytes of tensor data a checkpoint may declare, all its tensors read (16 GiB). */
  maxCheckpointBytes: 2 ** 34,
});

/** The limits of `DEFAULTS`, raised (or lowered) per call. */
export interface CheckpointLimits {
  maxTensors?: number;
  maxCheckpointBytes?: number;
}

/**
 * Checks what a checkpoint declares against `limits`: refuses too many tensors, or more
 * tensor data than allowed (a PyTorch view can be far larger than the bytes it reads,
 * e.g. with zero strides). Throws `LimitError` naming the file.
 */
export function checkCheckpointLimits(file: string, entries: readonly TensorEntry[], limits: CheckpointLimits): void {
  const maxTensors = limits.maxTensors ?? DEFAULTS.maxTensors;
  if (entries.length > maxTensors) throw new LimitError(file, `${entries.length.toLocaleString('en-US')} tensors`, 'maxTensors', maxTensors);
  const maxBytes = limits.maxCheckpointBytes ?? DEFAULTS.maxCheckpointBytes;
  let bytes = 0;
  for (const entry of entries) bytes += entry.byteLength;
  if (bytes > maxBytes) throw new LimitError(file, `its tensors hold ${bytes.toLocaleString('en-US')} bytes`, 'maxCheckpointBytes', maxBytes);
}

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
