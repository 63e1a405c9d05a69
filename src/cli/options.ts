/**
 * Option parsing helpers: every invalid value becomes a `UsageError` naming the option.
 */
import { UsageError } from '../errors.js';

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
