/**
 * The estimators' error: bad input data, an invalid option, or a malformed model file.
 */
import { EpochgraphError } from '../errors.js';

/** An estimator could not fit, predict, or load. The message starts with the module's name (`gbt:`, `ridge:`, `matrix:`). */
export class PredictError extends EpochgraphError {
  constructor(
    /** The module that failed, e.g. `gbt`. */
    readonly estimator: string,
    detail: string,
  ) {
    super(`${estimator}: ${detail}`);
  }
}
