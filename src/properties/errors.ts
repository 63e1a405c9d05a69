/**
 * The properties' error: an invalid option or a computation that cannot succeed.
 */
import { EpochgraphError } from '../errors.js';

/** A graph property could not be computed. The message starts with the property module's name. */
export class PropertyError extends EpochgraphError {
  constructor(
    /** The module that failed, e.g. `pagerank`. */
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}
