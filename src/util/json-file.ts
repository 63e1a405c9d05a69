/**
 * Reading a JSON file that epochgraph wrote earlier (a model file, a replay), with the
 * errors a user can act on: the file named, and whether it could not be read or is not
 * the kind of file expected.
 */
import { readFile } from 'node:fs/promises';
import { EpochgraphError } from '../errors.js';
import { printable } from './format.js';

/**
 * The parsed contents of `file`. Throws `EpochgraphError` naming the file: "cannot read
 * (CODE)" when it cannot be read, "not a `kind`" when it is not JSON.
 */
export async function readJsonFile(file: string, kind: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EpochgraphError(`${file}: ${code ? `cannot read (${code})` : `not a ${kind} (${printable((error as Error).message)})`}`);
  }
}
