/**
 * Format detection by content and the one entry point for reading checkpoints of any
 * format (docs/formats/ describes each).
 */
import { readFile } from 'node:fs/promises';
import { openForReading } from './file.js';
import { CheckpointError } from '../errors.js';
import type { Checkpoint, CheckpointFormat, CheckpointLimits, CheckpointReader, ParameterOrder } from './checkpoint.js';
import { openPytorch } from './pytorch/reader.js';
import { HDF5_MAGIC, openKeras } from './keras.js';
import { NPY_MAGIC, openNumpy } from './numpy.js';
import { looksLikeOnnx, openOnnx } from './onnx.js';
import { openSafetensors } from './safetensors.js';
import { isTfjsModelJson, openTfjs } from './tfjs.js';
import { openZipMembers } from './zip-members.js';
import type { Tensor } from './tensor.js';

/** Options of `openCheckpoint` and `readCheckpoint`. */
export interface OpenCheckpointOptions extends CheckpointLimits {
  /** Force a format instead of detecting it from the file's first bytes. */
  format?: CheckpointFormat;
  /** Parameter order; default: `natural` for safetensors and NumPy, `file` for the others (their order follows the model). */
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
/** Bytes inspected to tell formats apart. */
const HEAD_BYTES = 64;

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** What a zip archive holds: a torch.save file, a Keras 3 model or NumPy arrays. */
async function zipFormat(file: string): Promise<CheckpointFormat> {
  const handle = await openForReading(file);
  try {
    const members = await openZipMembers(file, handle, (await handle.stat()).size);
    const names = members.names;
    members.close();
    if (names.some((n) => /^[^/]+\/data\.pkl$/.test(n))) return 'pytorch';
    if (names.includes('model.weights.h5')) return 'keras';
    if (names.length > 0 && names.every((n) => n.endsWith('.npy'))) return 'numpy';
    throw new CheckpointError(file, `zip archive is none of the supported kinds (torch.save file with <name>/data.pkl, .keras with model.weights.h5, .npz of .npy arrays); it holds ${names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${names.length > 5 ? ', ...' : ''}`);
  } finally {
    await handle.close();
  }
}

/** True if the file is JSON text that is a tfjs model.json. */
async function isTfjsFile(file: string): Promise<boolean> {
  try {
    return isTfjsModelJson(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return false;
  }
}

/**
 * Detects a checkpoint's format from its content:
 * - a zip archive: PyTorch (`<name>/data.pkl`), Keras 3 (`model.weights.h5`) or `.npz`;
 * - an 8-byte little-endian header length followed by `{`: safetensors (checked before the
 *   pickle and ONNX tests: a header length can start with the same bytes as either);
 * - the HDF5 signature: Keras; the `\x93NUMPY` magic: NumPy;
 * - a protobuf starting with ModelProto's `ir_version`: ONNX;
 * - JSON with a `weightsManifest`: a tfjs model.json;
 * - a bare pickle: PyTorch's legacy format (refused with how to re-save it).
 * Anything else is refused with the list of supported formats, except that a file named
 * `*.safetensors` goes to the safetensors reader, whose errors say what is wrong with it.
 */
export async function detectCheckpointFormat(file: string): Promise<CheckpointFormat> {
  const handle = await openForReading(file);
  let head = new Uint8Array(HEAD_BYTES);
  try {
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (startsWith(head, ZIP_MAGIC)) return zipFormat(file);
  if (head.length >= 9 && head[8] === OPEN_BRACE) return 'safetensors';
  if (startsWith(head, HDF5_MAGIC)) return 'keras';
  if (startsWith(head, NPY_MAGIC)) return 'numpy';
  if (looksLikeOnnx(head)) return 'onnx';
  const firstText = new TextDecoder('latin1').decode(head).trimStart();
  if (firstText.startsWith('{') && (await isTfjsFile(file))) return 'tfjs';
  if (head.length >= 2 && head[0] === PICKLE_PROTO && head[1] <= 5) {
    throw new CheckpointError(
      file,
      'legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch: torch.save(torch.load(f), f)',
    );
  }
  if (file.endsWith('.safetensors')) return 'safetensors';
  throw new CheckpointError(
    file,
    `not a checkpoint format epochgraph reads; supported: safetensors, PyTorch .pt/.pth (torch.save zip), ONNX .onnx, Keras .h5/.keras, tfjs model.json, NumPy .npy/.npz (docs/formats/)`,
  );
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
    case 'onnx':
      return openOnnx(file, { order: options.order });
    case 'keras':
      return openKeras(file, { order: options.order });
    case 'tfjs':
      return openTfjs(file, { order: options.order });
    case 'numpy':
      return openNumpy(file, { order: options.order });
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
