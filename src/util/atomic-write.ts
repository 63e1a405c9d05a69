/**
 * Atomic file writes: data goes to a temporary file in the destination's directory,
 * is flushed, then renamed over the destination. Readers see the old file or the
 * complete new one, never a prefix; a crash leaves at most a `*.tmp-*` file behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** Path of a fresh temporary sibling of `path` (same directory, so rename is atomic). */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes a file atomically by handing `fill` an open handle on a temporary file.
 * On any error the temporary file is removed and the destination is untouched.
 * Returns once the file is durable and in place.
 */
export async function writeFileAtomicWith(path: string, fill: (handle: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  const handle = await open(tmp, 'wx');
  try {
    await fill(handle);
    await handle.sync();
    await handle.close();
    await rename(tmp, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Writes all of `bytes` at the handle's current position (a single write may be partial). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(bytes.byteLength - done, 1 << 30));
    done += bytesWritten;
  }
}

/** Writes `data` to `path` atomically. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomicWith(path, async (handle) => {
    await handle.writeFile(data);
  });
}
