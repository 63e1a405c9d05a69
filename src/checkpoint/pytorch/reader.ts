/**
 * PyTorch checkpoint reader: the zip format `torch.save` writes since PyTorch 1.6
 * (torch/serialization.py), read without Python.
 *
 * Opening reads the zip central directory and data.pkl only; the pickle is loaded by a
 * restricted unpickler that allows nothing but tensors, storages and plain containers.
 * Each tensor is then located as a strided view of a storage record, checked against
 * that record's size, and read on demand: `read(name)` reads just the byte range the
 * view covers and, for a non-contiguous view, gathers it into row-major order.
 */
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from '../../errors.js';
import { compareNatural } from '../../util/natural-sort.js';
import { checkCheckpointLimits } from '../checkpoint.js';
import type { CheckpointLimits, CheckpointReader, ParameterOrder, TensorEntry } from '../checkpoint.js';
import { openForReading } from '../file.js';
import { DTYPE_BYTES, elementCount, typedArrayFromBytes } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import { formatDims, gatherStrided, isRowMajor, viewExtent } from './strided.js';
import { loadTorchPickle, selectStateDict } from './torch-pickle.js';
import type { NamedTensor, StorageRef } from './torch-pickle.js';
import { quoted } from './unpickle.js';
import { openTorchArchive } from './zip.js';
import type { TorchArchive } from './zip.js';

/** Reader defaults. */
export const DEFAULTS = Object.freeze({
  /** Largest accepted data.pkl, bytes: a state_dict's pickle is a few hundred bytes per tensor. */
  maxPickleBytes: 100_000_000,
  /** Default parameter order: a state_dict keeps module registration order, which carries meaning. */
  order: 'file' as ParameterOrder,
});

/** Options of `openPytorch`. */
export interface PytorchOpenOptions extends CheckpointLimits {
  order?: ParameterOrder;
  /** Top-level key holding the state_dict in a training checkpoint (`{'epoch': ..., '<key>': model.state_dict()}`). */
  key?: string;
  /** Largest accepted data.pkl, bytes (default `DEFAULTS.maxPickleBytes`). */
  maxPickleBytes?: number;
}

interface LocatedEntry extends TensorEntry {
  readonly storage: StorageRef;
  /** Storage offset of the first element, in elements. */
  readonly offset: number;
  readonly stride: readonly number[];
  /** Storage elements the view spans from `offset`. */
  readonly extent: number;
  /** True if the spanned elements are already in row-major order. */
  readonly contiguous: boolean;
}

/** Locates one tensor and checks that its view lies inside its storage. */
function locate(file: string, { name, tensor }: NamedTensor): LocatedEntry {
  const { storage, offset, shape, stride } = tensor;
  const count = elementCount(shape) as number;
  const extent = viewExtent(shape, stride);
  if (extent > 0 && offset + extent > storage.numel) {
    throw new CheckpointError(
      file,
      `tensor ${quoted(name)}: view (offset ${offset}, shape ${formatDims(shape)}, stride ${formatDims(stride)}) ` +
        `needs ${offset + extent} elements of storage ${quoted(storage.key)}, which holds ${storage.numel}`,
    );
  }
  return {
    name,
    dtype: storage.dtype,
    shape,
    byteLength: count * DTYPE_BYTES[storage.dtype],
    storage,
    offset,
    stride,
    extent,
    contiguous: isRowMajor(shape, stride),
  };
}

/**
 * Opens a PyTorch zip checkpoint: reads its directory and data.pkl, finds the state_dict
 * (see `selectStateDict`; `options.key` picks it out of a training checkpoint) and
 * validates every tensor against its storage record. Returns a reader whose
 * `read(name)` loads one tensor. Throws `CheckpointError` for anything unreadable or unsafe.
 */
export async function openPytorch(file: string, options: PytorchOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? DEFAULTS.order;
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    const archive = await openTorchArchive(file, handle, size, { maxPickleBytes: options.maxPickleBytes ?? DEFAULTS.maxPickleBytes });
    try {
      const root = loadTorchPickle(file, await archive.readPickle(), archive.storageSizes);
      const entries = selectStateDict(file, root, options.key).map((named) => locate(file, named));
      checkCheckpointLimits(file, entries, options);
      if (order === 'natural') entries.sort((a, b) => compareNatural(a.name, b.name));
      return new PytorchReader(file, handle, archive, entries);
    } catch (error) {
      archive.close();
      throw error;
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
}

class PytorchReader implements CheckpointReader {
  readonly format = 'pytorch' as const;
  readonly metadata: Readonly<Record<string, string>> = {};
  private readonly byName: Map<string, LocatedEntry>;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly archive: TorchArchive,
    readonly entries: readonly LocatedEntry[],
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  async read(name: string): Promise<Tensor> {
    const entry = this.byName.get(name);
    if (!entry) throw new CheckpointError(this.path, `no tensor named ${quoted(name)}`);
    if (this.closed) throw new CheckpointError(this.path, 'read after close');
    const { dtype, shape, storage, offset, stride, extent, contiguous } = entry;
    const itemSize = DTYPE_BYTES[dtype];
    const span = await this.archive.readStorage(storage.key, offset * itemSize, extent * itemSize);
    const bytes = contiguous ? span : gatherStrided(span, itemSize, shape, stride);
    return { name, dtype, shape, data: typedArrayFromBytes(dtype, bytes) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.archive.close();
    await this.handle.close();
  }
}
