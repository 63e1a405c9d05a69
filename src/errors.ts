/**
 * Typed errors. Every error caused by bad input (a file, an option, a value) is an
 * `EpochgraphError`: the CLI prints its one-line message and exits with code 2.
 * Anything else is a bug and exits with code 1.
 */
export class EpochgraphError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 2;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A checkpoint file is unreadable, malformed, or unsafe to load. */
export class CheckpointError extends EpochgraphError {
  constructor(
    readonly file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}

/** A run directory (or its run.json) does not follow docs/run-format.md. */
export class RunFormatError extends EpochgraphError {
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${detail}`, options);
  }
}

/**
 * An option given to the library has an invalid value. `field` names the option as the
 * library knows it (`window`, `folds`, `outDir`); the command line names its flag instead.
 */
export class OptionError extends EpochgraphError {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/**
 * An input exceeds one of the documented size limits (docs/RELIABILITY.md) that keep a
 * hostile or broken file from exhausting memory or time. `field` names the option that
 * raises it, as the library knows it (`maxRuns`); the command line names its flag instead.
 */
export class LimitError extends EpochgraphError {
  constructor(
    readonly subject: string,
    readonly detail: string,
    readonly field: string,
    readonly limit: number,
  ) {
    super(`${subject}: ${detail}, over the limit of ${limit.toLocaleString('en-US')} (raise it with the ${field} option if the input is trusted)`);
  }
}

/**
 * The file system refused a write: a full disk, a quota, a file size limit, a read-only
 * mount. `code` is the system's (`ENOSPC`); files written before are intact.
 */
export class WriteError extends EpochgraphError {
  constructor(
    readonly file: string,
    readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: cannot write (${code}: ${detail})`, options);
  }
}
