/**
 * The importers' error: a public zoo's files that do not follow its published layout, or an
 * output folder that cannot be written.
 */
import { EpochgraphError } from '../errors.js';

/** An import failed because of the named file or folder. Message: `<path>: <what is wrong>`. */
export class ImportError extends EpochgraphError {
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${detail}`, options);
  }
}
