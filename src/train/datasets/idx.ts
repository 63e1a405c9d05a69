/**
 * IDX files (the MNIST / Fashion-MNIST container; LeCun et al., "Gradient-based learning
 * applied to document recognition", 1998, and the format note on the MNIST page):
 * a big-endian header `00 00 <type> <ndims>`, then `ndims` big-endian u32 sizes, then
 * the data. Only unsigned bytes (type 0x08) occur in these datasets. Gzip is detected
 * by its magic number, so `.gz` and plain files both load.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './dataset.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const UBYTE = 0x08;

/** The contents of an IDX file of unsigned bytes. */
export interface IdxArray {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Decodes IDX bytes (already decompressed). Throws `DatasetError` naming `file` on malformed input. */
export function parseIdx(file: string, bytes: Uint8Array): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DatasetError(`${file}: not an IDX file (bad magic number)`);
  if (bytes[2] !== UBYTE) throw new DatasetError(`${file}: IDX element type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`);
  const ndims = bytes[3];
  const headerLength = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < headerLength) throw new DatasetError(`${file}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    shape.push(view.getUint32(4 + 4 * d, false));
    count *= shape[d];
  }
  if (bytes.length - headerLength !== count) {
    throw new DatasetError(`${file}: IDX shape [${shape.join(', ')}] needs ${count} bytes of data, file has ${bytes.length - headerLength}`);
  }
  return { shape, data: bytes.subarray(headerLength) };
}

/** Reads an IDX file, gunzipping it if it is gzip-compressed. Returns its array. */
export async function readIdx(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DatasetError(`${file}: corrupt gzip data (${(error as Error).message})`);
    }
  }
  return parseIdx(file, bytes);
}
