/**
 * Report directories are complete or untouched: everything is written into a staging
 * sibling, which replaces the destination only once it is whole. A failure removes the
 * staging directory and leaves any earlier report in place.
 *
 * A destination that exists must be empty or an earlier report (it holds `report.json`
 * with an epochgraph report format), so that a report can never replace a directory of
 * someone's other files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OptionError } from '../errors.js';

/** The manifest file every report directory holds. */
export const REPORT_FILE = 'report.json';

/** Formats of `report.json`: a zoo report and a single-run report. */
const REPORT_FORMATS = ['epochgraph-report', 'epochgraph-run-report'] as const;

async function isReport(dir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, REPORT_FILE), 'utf8')) as { format?: unknown };
    return (REPORT_FORMATS as readonly unknown[]).includes(manifest.format);
  } catch {
    return false;
  }
}

/**
 * Checks that `outDir` may receive a report: absent, an empty directory, or an earlier
 * report. Returns nothing; throws `OptionError` (field `outDir`) naming the directory otherwise.
 */
export async function checkOutputDir(outDir: string): Promise<void> {
  const info = await stat(outDir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new OptionError('outDir', `${outDir}: exists and is not a directory`);
  if ((await readdir(outDir)).length > 0 && !(await isReport(outDir))) {
    throw new OptionError('outDir', `${outDir}: directory is not empty and holds no earlier report; choose a new or empty directory`);
  }
}

/**
 * Writes a directory through `fill`, which receives the staging directory to write into.
 * On success the staging directory becomes `outDir` (replacing an earlier report);
 * on failure it is removed and `outDir` is untouched. Returns what `fill` returns.
 */
export async function writeDirectory<T>(outDir: string, fill: (stagingDir: string) => Promise<T>): Promise<T> {
  await checkOutputDir(outDir);
  const target = resolve(outDir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = join(parent, `.${basename(target)}.tmp-${tag}`);
  await mkdir(staging);
  let result: T;
  try {
    result = await fill(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  // An earlier report is moved aside before the swap, so that a failed swap can put it back.
  let previous: string | undefined;
  try {
    const existing = await stat(target).catch(() => undefined);
    if (existing && (await readdir(target)).length === 0) await rmdir(target);
    else if (existing) {
      previous = join(parent, `.${basename(target)}.old-${tag}`);
      await rename(target, previous);
    }
    await rename(staging, target);
  } catch (error) {
    if (previous) await rename(previous, target).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (previous) await rm(previous, { recursive: true, force: true });
  return result;
}
