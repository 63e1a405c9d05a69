/**
 * NumPy `.npy` and `.npz` reader.
 *
 * Format (NEP 1, numpy/lib/format.py): the magic `\x93NUMPY`, a major and minor version
 * byte, the header length (u16 little-endian in version 1, u32 in versions 2 and 3), then
 * an ASCII (UTF-8 in version 3) Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces to a
 * multiple of 64 bytes, then the raw array data. `.npz` (`np.savez`, `np.savez_compressed`)
 * is a zip archive of `.npy` members, stored or deflated; each member is one tensor named
 * by its key.
 *
 * Element types: every dtype the weight zoos use (float16/32/64, int8/16/32/64, uint8,
 * bool), little- or big-endian (big-endian data is byte-swapped on read). Fortran-order
 * arrays are transposed to row-major on read. Object arrays (`allow_pickle`) and structured
 * dtypes are refused.
 *
 * A `.npy` file is read by byte range, so a tensor of a large file costs its own size;
 * `openNpyRows` streams the rows of a two-dimensional array in blocks (the Small CNN Zoo's
 * `weights.npy` is several GB) without ever holding the whole array.
 */
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { CheckpointError } from '../errors.js';
import { compareNatural } from '../util/natural-sort.js';
import type { CheckpointReader, ParameterOrder, TensorEntry } from './checkpoint.js';
import { openForReading, readExactly, readExactlyInto } from './file.js';
import { entryReader } from './memory-reader.js';
import { permuteAxes } from './permute.js';
import { DTYPE_BYTES, elementCount, typedArrayFromBytes } from './tensor.js';
import type { DType, Tensor, TensorData } from './tensor.js';
import { openZipMembers } from './zip-members.js';
import type { ZipMembers } from './zip-members.js';

/** Reader limits and defaults. */
export const NUMPY_DEFAULTS = Object.freeze({
  /** Largest accepted header, bytes (numpy itself caps reads at 10,000 unless told otherwise). */
  maxHeaderBytes: 1 << 20,
  /** Parameter order: `np.savez` keeps keyword order only since Python 3.7 dicts, so names sort naturally. */
  order: 'natural' as ParameterOrder,
});

/** The magic string every `.npy` file starts with. */
export const NPY_MAGIC = Object.freeze([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** What a `.npy` header says about the array that follows it. */
export interface NpyHeader {
  readonly dtype: DType;
  /** The data is stored big-endian (`>` in `descr`) and is swapped on read. */
  readonly bigEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Offset of the first data byte from the start of the `.npy` bytes. */
  readonly dataOffset: number;
  /** Size of the data, bytes. */
  readonly byteLength: number;
}

/** numpy type characters (`descr` without its byte-order mark) -> our dtype. */
const DESCR_TYPES: Readonly<Record<string, DType>> = {
  f8: 'F64',
  f4: 'F32',
  f2: 'F16',
  i8: 'I64',
  i4: 'I32',
  i2: 'I16',
  i1: 'I8',
  u1: 'U8',
  b1: 'BOOL',
};

/** Parses a `.npy` header from the file's first bytes. Returns it; throws `CheckpointError` naming `where`. */
export function parseNpyHeader(where: string, head: Uint8Array, available: number): NpyHeader {
  const fail = (detail: string): never => {
    throw new CheckpointError(where, detail);
  };
  if (head.length < 10 || !NPY_MAGIC.every((b, i) => head[i] === b)) fail('not a NumPy .npy array (no \\x93NUMPY magic)');
  const major = head[6];
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${head[7]}`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (head.length < prefix) fail('truncated .npy header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > NUMPY_DEFAULTS.maxHeaderBytes) fail(`.npy header of ${headerLength} bytes exceeds the ${NUMPY_DEFAULTS.maxHeaderBytes}-byte limit`);
  if (prefix + headerLength > head.length) fail(`truncated .npy header: ${headerLength} bytes declared, ${head.length - prefix} present`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(prefix, prefix + headerLength));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) fail('structured (record) dtypes are not supported; save each field as its own array');
    fail(`.npy header has no 'descr': ${text.trim()}`);
  }
  const code = (descr as RegExpExecArray)[1];
  const order = code[0];
  const type = /^[<>|=]/.test(order) ? code.slice(1) : code;
  if (type.startsWith('O')) fail('object arrays (pickled Python objects) are not supported');
  const dtype = DESCR_TYPES[type === 'b1' || type === '?' ? 'b1' : type];
  if (!dtype) fail(`unsupported dtype '${code}'; supported: ${Object.keys(DESCR_TYPES).join(', ')} (any byte order)`);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) fail(`.npy header has no 'fortran_order': ${text.trim()}`);
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeText) fail(`.npy header has no 'shape': ${text.trim()}`);
  const parts = (shapeText as RegExpExecArray)[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.every((p) => /^\d+L?$/.test(p))) fail(`.npy shape (${(shapeText as RegExpExecArray)[1]}) is not a tuple of integers`);
  const shape = parts.map((p) => Number.parseInt(p, 10));
  const count = elementCount(shape);
  if (count === undefined) fail(`.npy shape (${shape.join(', ')}) is too large`);
  const byteLength = (count as number) * DTYPE_BYTES[dtype];
  const dataOffset = prefix + headerLength;
  if (dataOffset + byteLength > available) {
    fail(`truncated: ${dtype} [${shape.join(', ')}] needs ${byteLength} data bytes, ${Math.max(0, available - dataOffset)} present`);
  }
  return { dtype, bigEndian: order === '>' && DTYPE_BYTES[dtype] > 1, fortranOrder: (fortran as RegExpExecArray)[1] === 'True', shape, dataOffset, byteLength };
}

/** Reverses the bytes of every `size`-byte element in place (big-endian -> little-endian). */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Turns a `.npy` payload into a row-major little-endian tensor. */
function tensorFromNpy(name: string, header: NpyHeader, payload: Uint8Array): Tensor {
  const size = DTYPE_BYTES[header.dtype];
  let bytes = payload;
  if (header.bigEndian) {
    bytes = bytes.slice();
    swapBytes(bytes, size);
  }
  const data = typedArrayFromBytes(header.dtype, bytes);
  if (!header.fortranOrder || header.shape.length < 2) return { name, dtype: header.dtype, shape: header.shape, data };
  // Fortran order is the row-major order of the reversed shape; reversing the axes undoes it.
  const rank = header.shape.length;
  const reversed = [...header.shape].reverse();
  return { name, dtype: header.dtype, shape: header.shape, data: permuteAxes(data, reversed, reversed.map((_, k) => rank - 1 - k)) };
}

/** Bytes read to find an `.npz` member's header: enough for any header numpy writes for ordinary arrays. */
const HEAD_BYTES = 4096;

/** Reads and parses the header of the `.npy` file open in `handle` (`size` bytes). */
async function readNpyHeaderAt(handle: FileHandle, file: string, size: number): Promise<NpyHeader> {
  const prefix = await readExactly(handle, file, 0, Math.min(size, 12));
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let end = prefix.length;
  if (prefix.length >= 10 && prefix[6] === 1) end = 10 + view.getUint16(8, true);
  else if (prefix.length >= 12) end = 12 + view.getUint32(8, true);
  // parseNpyHeader reports an over-long or truncated header; read no more than it can accept.
  const head = await readExactly(handle, file, 0, Math.min(size, Math.max(prefix.length, Math.min(end, NUMPY_DEFAULTS.maxHeaderBytes + 12))));
  return parseNpyHeader(file, head, size);
}

/** Options of `openNumpy`. */
export interface NumpyOpenOptions {
  order?: ParameterOrder;
}

interface NumpyEntry extends TensorEntry {
  /** `.npz` member holding the tensor, or undefined for a `.npy` file. */
  readonly member?: string;
  readonly header: NpyHeader;
}

/**
 * Opens a `.npy` file (one tensor, named after the file without `.npy`) or a `.npz`
 * archive (one tensor per member). Returns a reader; throws `CheckpointError` for anything
 * malformed or unsupported.
 */
export async function openNumpy(file: string, options: NumpyOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? NUMPY_DEFAULTS.order;
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    const magic = await readExactly(handle, file, 0, Math.min(size, 6));
    if (magic.length === 6 && NPY_MAGIC.every((b, i) => magic[i] === b)) {
      const header = await readNpyHeaderAt(handle, file, size);
      const name = basename(file).replace(/\.npy$/i, '');
      return numpyReader(file, order, [{ name, dtype: header.dtype, shape: header.shape, byteLength: header.byteLength, header }], handle);
    }
    const members = await openZipMembers(file, handle, size);
    try {
      const entries: NumpyEntry[] = [];
      for (const member of members.names) {
        if (!member.endsWith('.npy')) throw new CheckpointError(file, `.npz member ${JSON.stringify(member)} is not a .npy array`);
        const bytes = await members.read(member, HEAD_BYTES);
        const header = parseNpyHeader(`${file}:${member}`, bytes, bytes.length < HEAD_BYTES ? bytes.length : Number.MAX_SAFE_INTEGER);
        entries.push({ name: member.slice(0, -4), dtype: header.dtype, shape: header.shape, byteLength: header.byteLength, member, header });
      }
      return numpyReader(file, order, entries, handle, members);
    } catch (error) {
      members.close();
      throw error;
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A reader over the arrays of a `.npy` file (`handle`) or `.npz` archive (`members`). */
function numpyReader(path: string, order: ParameterOrder, entries: NumpyEntry[], handle: FileHandle, members?: ZipMembers): CheckpointReader {
  if (order === 'natural') entries.sort((a, b) => compareNatural(a.name, b.name));
  const load = async ({ name, header, member }: NumpyEntry): Promise<Tensor> => {
    if (!member) return tensorFromNpy(name, header, await readExactly(handle, path, header.dataOffset, header.byteLength));
    const bytes = await (members as ZipMembers).read(member);
    if (bytes.length < header.dataOffset + header.byteLength) throw new CheckpointError(`${path}:${member}`, `truncated: ${header.byteLength} data bytes declared`);
    return tensorFromNpy(name, header, bytes.subarray(header.dataOffset, header.dataOffset + header.byteLength));
  };
  return entryReader(path, 'numpy', entries, {}, load, async () => {
    members?.close();
    await handle.close();
  });
}

/** A two-dimensional `.npy` array read a block of rows at a time. */
export interface NpyRows {
  readonly path: string;
  readonly dtype: DType;
  readonly rows: number;
  readonly columns: number;
  /**
   * Reads rows [first, first + count) as one row-major little-endian block of
   * `count x columns` elements. Fortran-order files are read column by column.
   * The block's memory is reused by the next `read`: copy what must outlive it.
   */
  read(first: number, count: number): Promise<TensorData>;
  close(): Promise<void>;
}

/**
 * Opens a two-dimensional `.npy` file for streaming its rows. Returns the row reader;
 * throws `CheckpointError` if the file is not a 2-D `.npy` array.
 */
export async function openNpyRows(file: string): Promise<NpyRows> {
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    const header = await readNpyHeaderAt(handle, file, size);
    if (header.shape.length !== 2) throw new CheckpointError(file, `expected a two-dimensional array (rows x columns), got shape (${header.shape.join(', ')})`);
    const [rows, columns] = header.shape;
    const itemSize = DTYPE_BYTES[header.dtype];
    let buffer = new Uint8Array(0);
    return {
      path: file,
      dtype: header.dtype,
      rows,
      columns,
      async read(first: number, count: number): Promise<TensorData> {
        if (first < 0 || count < 0 || first + count > rows) throw new CheckpointError(file, `rows [${first}, ${first + count}) are outside the ${rows} rows`);
        const length = count * columns * itemSize;
        if (buffer.length < length) buffer = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
        const bytes = buffer.subarray(0, length);
        if (!header.fortranOrder) {
          await readExactlyInto(handle, file, header.dataOffset + first * columns * itemSize, bytes);
        } else {
          // Column-major: each column's slice of the block is contiguous; interleave them into rows.
          for (let c = 0; c < columns; c++) {
            const column = await readExactly(handle, file, header.dataOffset + (c * rows + first) * itemSize, count * itemSize);
            for (let r = 0; r < count; r++) bytes.set(column.subarray(r * itemSize, (r + 1) * itemSize), (r * columns + c) * itemSize);
          }
        }
        if (header.bigEndian) swapBytes(bytes, itemSize);
        return typedArrayFromBytes(header.dtype, bytes);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
