/**
 * Format detection and the one entry point for reading checkpoints of any format.
 */
import { openForReading } from './file.js';
import { CheckpointError } from '../errors.js';
import type { Checkpoint, CheckpointFormat, CheckpointLimits, CheckpointReader, ParameterOrder } from './checkpoint.js';
import { openPytorch } from './pytorch/reader.js';
import { openSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';

/** Options of `openCheckpoint` and `readCheckpoint`. */
export interface OpenCheckpointOptions extends CheckpointLimits {
  /** Force a format instead of detecting it from the file's first bytes. */
  format?: CheckpointFormat;
  /** Parameter order; default: `file` for PyTorch (state_dict order), `natural` for safetensors. */
  order?: ParameterOrder;
  /** PyTorch files holding a dict of several things: the key of the state dict (default: found by name). */
  key?: string;
  /** Largest accepted safetensors JSON header, bytes (default: the safetensors reader's). */
  maxHeaderBytes?: number;
  /** Largest accepted PyTorch data.pkl, bytes (default: the PyTorch reader's). */
  maxPickleBytes?: number;
}

/** Options of `readCheckpoint`. */
export interface ReadCheckpointOptions extends OpenCheckpointOptions {
  /** Read only these tensors (in checkpoint order); default: all. */
  names?: readonly string[];
}

/** Tensors read concurrently by `readCheckpoint` (libuv's default thread-pool size). */
const READ_CONCURRENCY = 4;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTO = 0x80;
const OPEN_BRACE = 0x7b;

/**
 * Detects a checkpoint's format from its first bytes: a zip archive is a PyTorch file; an
 * 8-byte little-endian header length followed by `{` is safetensors (checked before the
 * pickle test: a header of 0x80-0x580 bytes starts with the same two bytes as a pickle);
 * a bare pickle is PyTorch's legacy format (refused); anything else is tried as safetensors.
 */
export async function detectCheckpointFormat(file: string): Promise<CheckpointFormat> {
  const handle = await openForReading(file);
  let head = new Uint8Array(9);
  try {
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length >= 4 && ZIP_MAGIC.every((b, i) => head[i] === b)) return 'pytorch';
  if (head.length === 9 && head[8] === OPEN_BRACE) return 'safetensors';
  if (head.length >= 2 && head[0] === PICKLE_PROTO && head[1] <= 5) {
    throw new CheckpointError(
      file,
      'legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch: torch.save(torch.load(f), f)',
    );
  }
  return 'safetensors';
}

/**
 * Opens a checkpoint lazily: lists its tensors, reads data only on `read()`.
 * Returns a `CheckpointReader`; the caller closes it.
 */
export async function openCheckpoint(file: string, options: OpenCheckpointOptions = {}): Promise<CheckpointReader> {
  const format = options.format ?? (await detectCheckpointFormat(file));
  switch (format) {
    case 'safetensors':
      return openSafetensors(file, { order: options.order, maxHeaderBytes: options.maxHeaderBytes, maxTensors: options.maxTensors, maxCheckpointBytes: options.maxCheckpointBytes });
    case 'pytorch':
      return openPytorch(file, {
        order: options.order,
        key: options.key,
        maxPickleBytes: options.maxPickleBytes,
        maxTensors: options.maxTensors,
        maxCheckpointBytes: options.maxCheckpointBytes,
      });
  }
}

/**
 * Reads a whole checkpoint (or the tensors named in `options.names`) into memory.
 * Returns the tensors in parameter order with the file's metadata.
 */
export async function readCheckpoint(file: string, options: ReadCheckpointOptions = {}): Promise<Checkpoint> {
  const reader = await openCheckpoint(file, options);
  try {
    let wanted = reader.entries.map((e) => e.name);
    if (options.names) {
      const known = new Set(wanted);
      const missing = options.names.filter((n) => !known.has(n));
      if (missing.length > 0) throw new CheckpointError(file, `no tensor named ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
      const requested = new Set(options.names);
      wanted = wanted.filter((n) => requested.has(n));
    }
    // A few reads in flight keep the thread pool busy while page faults of fresh buffers are served.
    const tensors: Tensor[] = new Array(wanted.length);
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const i = next++;
        tensors[i] = await reader.read(wanted[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, wanted.length) }, worker));
    return { path: file, format: reader.format, metadata: reader.metadata, tensors };
  } finally {
    await reader.close();
  }
}
