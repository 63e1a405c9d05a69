/**
 * Checkpoint readers built from a list of entries and a loader: the name lookup, the
 * unknown-name and read-after-close errors live here once. Formats read whole at open
 * (Keras, tfjs) hand out tensors already in memory (`memoryReader`).
 */
import { CheckpointError } from '../errors.js';
import type { CheckpointFormat, CheckpointReader, TensorEntry } from './checkpoint.js';
import type { Tensor } from './tensor.js';

/**
 * A reader over `entries` whose `read` calls `load` for a known entry of an open reader;
 * `release` runs once, on the first `close()`. Returns the reader; throws `CheckpointError`
 * for two entries of one name.
 */
export function entryReader<E extends TensorEntry>(
  path: string,
  format: CheckpointFormat,
  entries: readonly E[],
  metadata: Readonly<Record<string, string>>,
  load: (entry: E) => Promise<Tensor>,
  release: () => Promise<void> = async () => {},
): CheckpointReader {
  const byName = new Map<string, E>();
  for (const e of entries) {
    if (byName.has(e.name)) throw new CheckpointError(path, `two tensors are named ${JSON.stringify(e.name)}`);
    byName.set(e.name, e);
  }
  let closed = false;
  return {
    path,
    format,
    metadata,
    entries,
    async read(name: string): Promise<Tensor> {
      const entry = byName.get(name);
      if (!entry) throw new CheckpointError(path, `no tensor named ${JSON.stringify(name)}`);
      if (closed) throw new CheckpointError(path, 'read after close');
      return load(entry);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}

/** A reader over tensors already in memory; `read` hands out the tensors themselves. */
export function memoryReader(path: string, format: CheckpointFormat, tensors: readonly Tensor[], metadata: Readonly<Record<string, string>>): CheckpointReader {
  const entries = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength, tensor: t }));
  return entryReader(path, format, entries, metadata, async (e) => e.tensor);
}
