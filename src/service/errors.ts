/**
 * Errors of the pruning service that become HTTP answers: each carries the status code
 * and a short machine-readable code; the message names the run, epoch or field at fault.
 */
import { EpochgraphError } from '../errors.js';

/** A request the service refuses, answered with `status` and `{"error": code, "message"}`. */
export class ServiceError extends EpochgraphError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`service: ${message}`);
  }
}
