/**
 * Zip archives read member by member: `.npz` arrays and `.keras` (Keras 3) models.
 * Members may be stored or deflated (PKWARE APPNOTE.TXT 4.4.5). yauzl parses the central
 * directory (zip64 included) through the same handle-backed reader the PyTorch container
 * uses; member bytes are then read by byte range and inflated with zlib, so the caller's
 * handle stays open and is closed by the caller.
 */
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { fromRandomAccessReaderPromise } from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { CheckpointError } from '../errors.js';
import { readExactly } from './file.js';
import { HandleReader } from './pytorch/zip.js';

/** An opened zip archive. */
export interface ZipMembers {
  /** Member names (directories excluded), in archive order. */
  readonly names: readonly string[];
  /** Uncompressed size of a member, bytes. */
  size(name: string): number;
  /** The member's bytes (inflated), or only its first `limit` bytes (a deflated member is inflated whole first). */
  read(name: string, limit?: number): Promise<Uint8Array>;
  close(): void;
}

/** Zip compression methods read (APPNOTE.TXT 4.4.5). */
const STORED = 0;
const DEFLATED = 8;

/** Largest member inflated into memory: a weight file inside a `.keras` archive or one array of a `.npz`. */
const MAX_MEMBER_BYTES = 2 ** 31 - 1;

/**
 * Opens the zip archive in `handle` (`fileSize` bytes). Returns its members; throws
 * `CheckpointError` naming `file` for an archive that cannot be read.
 */
export async function openZipMembers(file: string, handle: FileHandle, fileSize: number): Promise<ZipMembers> {
  let zip: ZipFile;
  try {
    zip = await fromRandomAccessReaderPromise(new HandleReader(file, handle), fileSize, { autoClose: false });
  } catch (error) {
    throw new CheckpointError(file, `not a zip archive, or a truncated one (${(error as Error).message})`);
  }
  const entries = new Map<string, Entry>();
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (entries.has(entry.fileName)) throw new CheckpointError(file, `zip archive has two entries named ${JSON.stringify(entry.fileName)}`);
      if (entry.isEncrypted()) throw new CheckpointError(file, `zip entry ${JSON.stringify(entry.fileName)} is encrypted`);
      entries.set(entry.fileName, entry);
    }
  } catch (error) {
    zip.close();
    throw error instanceof CheckpointError ? error : new CheckpointError(file, `corrupt zip central directory (${(error as Error).message})`);
  }
  const get = (name: string): Entry => {
    const entry = entries.get(name);
    if (!entry) throw new CheckpointError(file, `zip archive has no member ${JSON.stringify(name)}`);
    return entry;
  };
  return {
    names: [...entries.keys()],
    size: (name) => get(name).uncompressedSize,
    async read(name: string, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
      const entry = get(name);
      if (entry.uncompressedSize > MAX_MEMBER_BYTES) {
        throw new CheckpointError(file, `zip member ${JSON.stringify(name)} is ${entry.uncompressedSize} bytes, over the ${MAX_MEMBER_BYTES}-byte limit`);
      }
      if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
        throw new CheckpointError(file, `zip member ${JSON.stringify(name)} uses compression method ${entry.compressionMethod}; only stored and deflated members are supported`);
      }
      let start: number;
      try {
        ({ fileDataStart: start } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
      } catch (error) {
        throw new CheckpointError(file, `corrupt zip member ${JSON.stringify(name)} (${(error as Error).message})`);
      }
      if (start + entry.compressedSize > fileSize) throw new CheckpointError(file, `zip member ${JSON.stringify(name)} extends beyond the end of the file`);
      if (entry.compressionMethod === STORED) {
        return readExactly(handle, file, start, Math.min(entry.uncompressedSize, limit));
      }
      let bytes: Uint8Array;
      try {
        const inflated = inflateRawSync(await readExactly(handle, file, start, entry.compressedSize));
        // A plain Uint8Array view: Buffer's slice() would not copy.
        bytes = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
      } catch (error) {
        throw new CheckpointError(file, `corrupt deflated zip member ${JSON.stringify(name)} (${(error as Error).message})`);
      }
      if (bytes.length !== entry.uncompressedSize) {
        throw new CheckpointError(file, `zip member ${JSON.stringify(name)} inflates to ${bytes.length} bytes, not the ${entry.uncompressedSize} its header declares`);
      }
      return bytes.subarray(0, Math.min(bytes.length, limit));
    },
    close: () => zip.close(),
  };
}
