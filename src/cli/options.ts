/**
 * Option parsing: every invalid value becomes a `UsageError` naming the flag. Library
 * errors name the field they concern (`OptionError`); `flagOf` turns a field into the
 * flag a user typed.
 */
import { EpochgraphError, LimitError, OptionError } from '../errors.js';

/** A command-line option or argument has an invalid value. */
export class UsageError extends EpochgraphError {}

/** The flag of each library field whose name differs from its flag's. */
const FIELD_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  window: '--epochs',
  outDir: '--out',
  featureFile: '--out',
  modelFile: '--out',
  keepCheckpoints: '--keep-checkpoints',
  classes: '--classes',
  folds: '--folds',
  method: '--method',
  model: '--model',
  layout: '--layout',
  maxRuns: '--max-runs',
  maxNodes: '--max-nodes',
  maxEdges: '--max-edges',
});

/** The flag that sets library field `field` (`window` -> `--epochs`). */
export function flagOf(field: string): string {
  return FIELD_FLAGS[field] ?? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `error` worded for the command line: the field of an `OptionError` or a `LimitError` becomes its flag. Returns the message. */
export function commandLineMessage(error: EpochgraphError): string {
  if (error instanceof OptionError) return `${flagOf(error.field)}: ${error.detail}`;
  // Only the limits the command line sets by a flag are reworded; the others keep the library's option name.
  if (error instanceof LimitError && Object.hasOwn(FIELD_FLAGS, error.field)) {
    return `${error.subject}: ${error.detail}, over the limit of ${error.limit.toLocaleString('en-US')} (raise it with ${flagOf(error.field)} if the input is trusted)`;
  }
  return error.message;
}

/** Returns `value` if it is one of `choices` (undefined passes through); throws `UsageError` otherwise. */
export function parseChoice<T extends string>(option: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}

/** Parses a non-negative integer option value; throws `UsageError` otherwise. */
export function parseNonNegativeInt(option: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${option}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Parses a positive integer option value; throws `UsageError` otherwise. */
export function parsePositiveInt(option: string, value: string): number {
  const n = parseNonNegativeInt(option, value);
  if (n === 0) throw new UsageError(`${option}: expected a positive integer, got 0`);
  return n;
}
