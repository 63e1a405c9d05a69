/**
 * A checkpoint reader over tensors already in memory, for formats that are read whole at
 * open because their containers are small or need converting as a whole (Keras, tfjs).
 */
import { CheckpointError } from '../errors.js';
import type { CheckpointFormat, CheckpointReader } from './checkpoint.js';
import type { Tensor } from './tensor.js';

/**
 * A reader over tensors already in memory (formats read whole at open: Keras, tfjs).
 * Returns it; `read` hands out the tensors themselves.
 */
export function memoryReader(path: string, format: CheckpointFormat, tensors: readonly Tensor[], metadata: Readonly<Record<string, string>>): CheckpointReader {
  const byName = new Map<string, Tensor>();
  for (const t of tensors) {
    if (byName.has(t.name)) throw new CheckpointError(path, `two weights map to the tensor name ${JSON.stringify(t.name)}`);
    byName.set(t.name, t);
  }
  return {
    path,
    format,
    metadata,
    entries: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength })),
    async read(name: string): Promise<Tensor> {
      const tensor = byName.get(name);
      if (!tensor) throw new CheckpointError(path, `no tensor named ${JSON.stringify(name)}`);
      return tensor;
    },
    async close(): Promise<void> {},
  };
}
