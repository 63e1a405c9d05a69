/**
 * Command-line options generated from the training configuration schema, so that
 * `epochgraph train` accepts exactly the settings a grid file does (`--batch-size` for
 * `batch_size`, lists as `--hidden 256,128`, nested lists as `--stages 32/64/128,128`).
 */
import type { Command } from 'commander';
import { CONFIG_SCHEMA } from '../checkpoint/run-config.js';
import type { FieldSchema } from '../checkpoint/run-config.js';
import { UsageError } from './options.js';


const flag = (key: string) => `--${key.replaceAll('_', '-')}`;
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function describe(schema: FieldSchema): string {
  const d = schema.default;
  const shown = d === null ? '' : ` (default: ${Array.isArray(d) ? JSON.stringify(d) : String(d)})`;
  return schema.type === 'choice' ? `${schema.help}: ${schema.choices.join('|')}${shown}` : `${schema.help}${shown}`;
}

/** Adds one option per configuration key to `command`. */
export function addConfigOptions(command: Command): Command {
  for (const [key, schema] of Object.entries(CONFIG_SCHEMA)) {
    if (schema.type === 'boolean') command.option(flag(key), describe(schema));
    else command.option(`${flag(key)} <value>`, describe(schema));
  }
  return command;
}

function parseValue(key: string, schema: FieldSchema, text: string): unknown {
  const number = (t: string) => {
    const value = Number(t);
    if (t.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag(key)}: expected a number, got ${JSON.stringify(t)}`);
    return value;
  };
  switch (schema.type) {
    case 'choice':
      return text;
    case 'number':
    case 'integer':
      return number(text);
    case 'boolean':
      return true;
    case 'integer-list':
      return text.split(',').map(number);
    case 'integer-list-list':
      return text.split('/').map((stage) => stage.split(',').map(number));
  }
}

/** Collects the configuration keys given on the command line (unvalidated values, typed). */
export function configFromOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(CONFIG_SCHEMA)) {
    const value = options[camel(key)];
    if (value === undefined) continue;
    out[key] = parseValue(key, schema, String(value));
  }
  return out;
}
