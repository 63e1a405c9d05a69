/**
 * The estimators' errors: bad input data, an invalid option, or a malformed model file; and
 * a run a model cannot summarise into its features.
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

/**
 * A model cannot summarise a run into its features (no graph from its checkpoints, a window
 * epoch or the test accuracy its prior reads missing, layers it never saw). One line:
 * `RUN: MODEL cannot summarise this run: DETAIL`.
 */
export class UnsummarisableRunError extends EpochgraphError {
  constructor(
    readonly run: string,
    readonly model: string,
    readonly detail: string,
  ) {
    super(`${run}: ${model} cannot summarise this run: ${detail}`);
  }
}
