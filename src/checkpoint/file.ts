/**
 * Reading checkpoint files: opening with a one-line error, and exact reads of byte ranges.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';

/** Opens `file` for reading. Returns the handle; throws `CheckpointError` naming the file and the system's error code. */
export async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    throw new CheckpointError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Reads of at least this many bytes are split into concurrent pieces. */
const PIECE_BYTES = 2 << 20;
/** libuv's default thread-pool size: more concurrent reads only queue. */
const MAX_PIECES = 4;

/**
 * Reads exactly `length` bytes at `position` into fresh memory, or throws on a short file.
 * Large reads are split into up to four concurrent pieces: the kernel's page-cache copy
 * and the page faults of the fresh buffer then run on several cores (about 1.5x on 2 cores).
 * The buffer is not zero-filled first: every byte is overwritten or the read throws.
 */
export async function readExactly(handle: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  return readExactlyInto(handle, file, position, new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length));
}

/**
 * Fills `out` with the bytes at `position`, or throws on a short file. Returns `out`.
 * Streaming readers pass the same buffer block after block: its pages are faulted in once.
 */
export async function readExactlyInto(handle: FileHandle, file: string, position: number, out: Uint8Array): Promise<Uint8Array> {
  const length = out.length;
  const pieces = Math.max(1, Math.min(MAX_PIECES, Math.floor(length / PIECE_BYTES)));
  const step = Math.ceil(length / pieces);
  const readPiece = async (start: number, end: number) => {
    for (let done = start; done < end; ) {
      const { bytesRead } = await handle.read(out, done, Math.min(end - done, 1 << 30), position + done);
      if (bytesRead === 0) throw new CheckpointError(file, `truncated: expected ${length} bytes at offset ${position}, file ends before`);
      done += bytesRead;
    }
  };
  const reads = [];
  for (let start = 0; start < length; start += step) reads.push(readPiece(start, Math.min(length, start + step)));
  await Promise.all(reads);
  return out;
}
