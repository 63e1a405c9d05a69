/**
 * Atomic file writes: data goes to a temporary file in the destination's directory, is
 * flushed to disk (fsync), renamed over the destination, and the directory is flushed
 * too, so that the rename itself survives a power cut. Readers see the old file or the
 * complete new one, never a prefix; a crash leaves at most a `.<name>.tmp-<pid>-*` file
 * behind, which `removeStaleTemporaries` deletes once its writer is gone.
 *
 * A write the file system refuses for lack of room or permission (a full disk, a quota,
 * a file size limit, a read-only mount) becomes a `WriteError` naming the file: bad luck
 * with the environment, not a bug, and every earlier file stays intact.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { WriteError } from '../errors.js';

/** What each system error code means for the user. */
const ENVIRONMENT_ERRORS: Readonly<Record<string, string>> = Object.freeze({
  ENOSPC: 'no space left on the device; free some and run again',
  EDQUOT: 'disk quota exceeded; free some space and run again',
  EFBIG: 'file too large for this file system or the process file-size limit',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
});

/** `.<name>.tmp-<pid>-<8 hex digits>`, as `temporarySibling` names them. */
const TEMPORARY = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Path of a fresh temporary sibling of `path` (same directory, so rename is atomic). */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /**
   * Flush the file to disk before the rename (default true). Writers filling a staging
   * folder that is itself renamed into place at the end skip it: one fsync per small file
   * would dominate their time.
   */
  readonly durable?: boolean;
}

/** `error` as a `WriteError` naming `path` when the environment refused the write; otherwise as is. */
function environmentError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code !== undefined && Object.hasOwn(ENVIRONMENT_ERRORS, code) ? new WriteError(path, code, ENVIRONMENT_ERRORS[code], { cause: error }) : error;
}

/** Flushes a directory's entries (a rename or an unlink in it) to disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file atomically by handing `fill` an open handle on a temporary file.
 * On any error the temporary file is removed and the destination is untouched.
 * Returns once the file and its directory entry are durable (the file unless `durable` is
 * false). Throws `WriteError` when the file system refuses the write (full disk, quota,
 * read-only), else what `fill` threw.
 */
export async function writeFileAtomicWith(path: string, fill: (handle: FileHandle) => Promise<void>, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  let tmp: string | undefined;
  try {
    await mkdir(dir, { recursive: true });
    // What an earlier, killed attempt at this very file left behind goes now.
    await removeStaleTemporaries(dir, basename(path));
    tmp = temporarySibling(path);
    const handle = await open(tmp, 'wx');
    try {
      await fill(handle);
      if (options.durable ?? true) await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(tmp, path);
    tmp = undefined;
    if (options.durable ?? true) await syncDirectory(dir);
  } catch (error) {
    if (tmp !== undefined) await rm(tmp, { force: true });
    throw environmentError(path, error);
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
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomicWith(
    path,
    async (handle) => {
      await handle.writeFile(data);
    },
    options,
  );
}

/** True if process `pid` exists and is not a zombie (a killed writer whose parent died too may stay one for a while). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true; // no procfs: the signal test is all there is
  }
  // proc(5): the state follows the parenthesised command name, which may itself hold ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Deletes the temporary files a killed writer left in `dir`, only those of destination
 * `name` if given (never those of a live process, this one included, which may still
 * rename them). Returns their names; a missing `dir` has none.
 */
export async function removeStaleTemporaries(dir: string, name?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((entry) => {
    const match = TEMPORARY.exec(entry);
    if (match === null || (name !== undefined && match[1] !== name)) return false;
    const pid = Number(match[2]);
    return pid !== process.pid && !isRunning(pid);
  });
  for (const entry of stale) await rm(join(dir, entry), { force: true });
  return stale;
}
