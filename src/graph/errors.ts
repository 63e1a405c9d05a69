/**
 * The graph engine's error: an architecture that cannot be read, inferred or built.
 */
import { EpochgraphError } from '../errors.js';

/** Graph construction failed because of the checkpoint, the architecture spec or an option. Message prefix `graph:`. */
export class GraphError extends EpochgraphError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`graph: ${detail}`, options);
  }
}

/** A checkpoint holds NaN or infinite weights (typically a diverged run): it has no meaningful graph. */
export class NonFiniteWeightsError extends GraphError {}

/** Where to point users whose architecture could not be inferred. */
export const SPEC_HINT = 'give an architecture spec (docs/architecture-spec.md)';
