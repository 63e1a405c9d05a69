/**
 * The training configuration: one schema shared by `epochgraph train` options, zoo grid
 * files and the `config` recorded in run.json (with every default filled in, so that a
 * run.json alone says how to reproduce the run).
 */
import { isDeepStrictEqual } from 'node:util';
import { CONFIG_SCHEMA } from '../checkpoint/run-config.js';
import type { FieldSchema, TrainConfig } from '../checkpoint/run-config.js';
import { EpochgraphError } from '../errors.js';
import { buildProgram } from './architectures.js';
import type { InputShape, Program } from './architectures.js';

/** A configuration value that does not fit the schema. `key` names the offending field. */
export class ConfigError extends EpochgraphError {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Checks one value against its field schema. Returns the value; throws `ConfigError`. */
export function validateField(key: string, value: unknown): unknown {
  const schema = (CONFIG_SCHEMA as Record<string, FieldSchema>)[key];
  if (!schema) throw new ConfigError(key, `unknown setting; known: ${Object.keys(CONFIG_SCHEMA).join(', ')}`);
  switch (schema.type) {
    case 'choice':
      if (typeof value !== 'string' || !schema.choices.includes(value)) {
        throw new ConfigError(key, `expected one of ${schema.choices.join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(key, `expected a number, got ${JSON.stringify(value)}`);
      const { min, max } = schema;
      if (min !== undefined && (schema.exclusiveMin ? value <= min : value < min)) throw new ConfigError(key, `must be ${schema.exclusiveMin ? '>' : '>='} ${min}, got ${value}`);
      if (max !== undefined && (schema.exclusiveMax ? value >= max : value > max)) throw new ConfigError(key, `must be ${schema.exclusiveMax ? '<' : '<='} ${max}, got ${value}`);
      return value;
    }
    case 'integer':
      if (value === null && schema.nullable) return null;
      if (!isInteger(value)) throw new ConfigError(key, `expected an integer, got ${JSON.stringify(value)}`);
      if (schema.min !== undefined && value < schema.min) throw new ConfigError(key, `must be >= ${schema.min}, got ${value}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(key, `expected true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'integer-list':
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => isInteger(v) && v > 0)) {
        throw new ConfigError(key, `expected a non-empty list of positive integers, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'integer-list-list':
      if (!Array.isArray(value) || value.length === 0 || !value.every((s) => Array.isArray(s) && s.length > 0 && s.every((v) => isInteger(v) && v > 0))) {
        throw new ConfigError(key, `expected a non-empty list of non-empty lists of positive integers, got ${JSON.stringify(value)}`);
      }
      return value;
  }
}

/**
 * Validates a partial configuration and fills in defaults.
 * Returns the resolved configuration; throws `ConfigError` naming the first bad key.
 */
export function resolveConfig(partial: Readonly<Record<string, unknown>>): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(partial)) out[key] = validateField(key, value);
  for (const [key, schema] of Object.entries(CONFIG_SCHEMA)) {
    if (out[key] !== undefined) continue;
    if (schema.default === null && !('nullable' in schema && schema.nullable)) throw new ConfigError(key, 'is required');
    out[key] = structuredClone(schema.default);
  }
  const config = out as unknown as TrainConfig;
  if (config.arch === 'resnet' && (config.depth - 2) % 6 !== 0) throw new ConfigError('depth', `resnet depth must be 6n+2 (8, 14, 20, ...), got ${config.depth}`);
  return config;
}

/**
 * Whether `recorded` (a run.json's or zoo.json's `config`) is the configuration `config`.
 * The recorded one is resolved first, so a run written before a setting existed reads as
 * that setting's default. Returns false for anything that is not a valid configuration.
 */
export function recordsConfig(recorded: unknown, config: TrainConfig): boolean {
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) return false;
  try {
    return isDeepStrictEqual(resolveConfig(recorded as Record<string, unknown>), config);
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

/** The layer program `config` trains, for images of `input` and `classes` classes. Throws `ArchitectureError`. */
export function programOf(config: TrainConfig, input: InputShape, classes: number): Program {
  return buildProgram(config.arch, input, classes, {
    width: config.width,
    dropout: config.dropout,
    hidden: config.hidden,
    stages: config.stages,
    batchNorm: config.batch_norm,
    depth: config.depth,
  });
}
