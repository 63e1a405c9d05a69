/**
 * safetensors reader and writer.
 *
 * Format (https://huggingface.co/docs/safetensors): an 8-byte little-endian u64 N,
 * then N bytes of UTF-8 JSON mapping each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data section)
 * plus an optional `__metadata__` string map, then the data section.
 *
 * The reader reads the header only, validates every entry against the file size
 * before allocating anything, and reads each tensor's byte range on demand, so
 * asking for one tensor of a large file costs about that tensor's size in memory.
 */
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError, LimitError } from '../errors.js';
import { writeAll, writeFileAtomicWith } from '../util/atomic-write.js';
import type { AtomicWriteOptions } from '../util/atomic-write.js';
import { printable } from '../util/format.js';
import { compareNatural } from '../util/natural-sort.js';
import { checkCheckpointLimits } from './checkpoint.js';
import type { CheckpointLimits, CheckpointReader, ParameterOrder, TensorEntry } from './checkpoint.js';
import { openForReading, readExactly } from './file.js';
import { DTYPE_BYTES, elementCount, isDType, typedArrayFromBytes } from './tensor.js';
import type { Tensor } from './tensor.js';

/** Reader limits; the header cap matches the reference implementation's. */
export const DEFAULTS = Object.freeze({
  /** Largest accepted JSON header, bytes. */
  maxHeaderBytes: 100_000_000,
  /** Default parameter order: safetensors writers sort keys, so file order carries no meaning. */
  order: 'natural' as ParameterOrder,
});

/** Options of `openSafetensors`. */
export interface SafetensorsOpenOptions extends CheckpointLimits {
  order?: ParameterOrder;
  /** Largest accepted JSON header, bytes (default `DEFAULTS.maxHeaderBytes`). */
  maxHeaderBytes?: number;
}

interface LocatedEntry extends TensorEntry {
  /** Absolute file offset of the first data byte. */
  readonly fileOffset: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates a header; returns entries in file (data offset) order and the metadata. */
function parseHeader(
  file: string,
  text: string,
  dataStart: number,
  dataLength: number,
): { entries: LocatedEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(file, `safetensors header is not valid JSON (${printable((error as Error).message)})`);
  }
  if (!isPlainObject(header)) throw new CheckpointError(file, 'safetensors header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: (LocatedEntry & { begin: number; end: number })[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) throw new CheckpointError(file, '__metadata__ is not a JSON object of strings');
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== 'string') throw new CheckpointError(file, `__metadata__.${key} is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    if (!isPlainObject(raw)) throw new CheckpointError(file, `tensor ${name}: header entry is not a JSON object`);
    const { dtype, shape, data_offsets: offsets } = raw;
    if (!isDType(dtype)) throw new CheckpointError(file, `tensor ${name}: unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape)) throw new CheckpointError(file, `tensor ${name}: shape is not an array`);
    const count = elementCount(shape);
    if (count === undefined) throw new CheckpointError(file, `tensor ${name}: invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new CheckpointError(file, `tensor ${name}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new CheckpointError(file, `tensor ${name}: data_offsets [${begin}, ${end}] exceed the ${dataLength}-byte data section`);
    }
    const byteLength = count * DTYPE_BYTES[dtype];
    if (end - begin !== byteLength) {
      throw new CheckpointError(
        file,
        `tensor ${name}: ${dtype} [${shape.join(', ')}] needs ${byteLength} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], byteLength, fileOffset: dataStart + begin, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1];
    if (entries[i].begin < previous.end) {
      throw new CheckpointError(file, `tensors ${previous.name} and ${entries[i].name} have overlapping data_offsets`);
    }
  }
  return { entries: entries.map(({ begin: _b, end: _e, ...entry }) => entry), metadata };
}

/**
 * Opens a safetensors file: reads and validates the header only.
 * Returns a reader whose `read(name)` loads one tensor's byte range.
 * Throws `CheckpointError` for any malformed header.
 */
export async function openSafetensors(file: string, options: SafetensorsOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? DEFAULTS.order;
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    if (size < 8) throw new CheckpointError(file, `truncated: ${size} bytes is too short for a safetensors header length`);
    const prefix = await readExactly(handle, file, 0, 8);
    const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
    const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes;
    if (headerLength > BigInt(maxHeaderBytes)) {
      throw new LimitError(file, `safetensors header length ${headerLength} bytes (not a safetensors file?)`, 'maxHeaderBytes', maxHeaderBytes);
    }
    const n = Number(headerLength);
    if (8 + n > size) {
      throw new CheckpointError(file, `truncated or not safetensors: header length ${n} is beyond the ${size}-byte file`);
    }
    const headerBytes = await readExactly(handle, file, 8, n);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new CheckpointError(file, 'safetensors header is not valid UTF-8 (not a safetensors file?)');
    }
    const { entries, metadata } = parseHeader(file, text, 8 + n, size - 8 - n);
    checkCheckpointLimits(file, entries, options);
    if (order === 'natural') entries.sort((a, b) => compareNatural(a.name, b.name));
    return new SafetensorsReader(file, handle, entries, metadata);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

class SafetensorsReader implements CheckpointReader {
  readonly format = 'safetensors' as const;
  private readonly byName: Map<string, LocatedEntry>;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly entries: readonly LocatedEntry[],
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  async read(name: string): Promise<Tensor> {
    const entry = this.byName.get(name);
    if (!entry) throw new CheckpointError(this.path, `no tensor named ${JSON.stringify(name)}`);
    if (this.closed) throw new CheckpointError(this.path, 'read after close');
    const bytes = await readExactly(this.handle, this.path, entry.fileOffset, entry.byteLength);
    return { name, dtype: entry.dtype, shape: entry.shape, data: typedArrayFromBytes(entry.dtype, bytes) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/**
 * The bytes before the tensor data of a safetensors file holding `tensors` in the given
 * order, with `metadata` as `__metadata__`: the length prefix and the JSON header, padded
 * with spaces to a multiple of 8 bytes so that every tensor starts aligned. Throws
 * `CheckpointError` naming `file` for two tensors of one name or data not matching a shape.
 */
export function safetensorsHeader(file: string, tensors: readonly Tensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (Object.hasOwn(header, t.name)) throw new CheckpointError(file, `duplicate tensor name ${JSON.stringify(t.name)}`);
    const count = elementCount(t.shape);
    if (count === undefined || count !== t.data.length || t.data.BYTES_PER_ELEMENT !== DTYPE_BYTES[t.dtype]) {
      throw new CheckpointError(file, `tensor ${t.name}: data does not hold ${t.dtype} [${t.shape.join(', ')}]`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const jsonLength = encoder.encode(json).byteLength;
  json += ' '.repeat((8 - (jsonLength % 8)) % 8);
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  return out;
}

/** The bytes of tensor `t`'s data, as the file holds them (little-endian). */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Writes tensors to a safetensors file atomically, in the given order, with
 * `metadata` as `__metadata__` (see `safetensorsHeader`). Tensor data is streamed, not copied.
 */
export async function writeSafetensors(
  file: string,
  tensors: readonly Tensor[],
  metadata: Readonly<Record<string, string>> = {},
  options: AtomicWriteOptions = {},
): Promise<void> {
  const header = safetensorsHeader(file, tensors, metadata);
  await writeFileAtomicWith(file, async (handle) => {
    await writeAll(handle, header);
    for (const t of tensors) await writeAll(handle, tensorBytes(t));
  }, options);
}
