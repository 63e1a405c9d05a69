/**
 * Where architecture specs come from besides the caller: a JSON file, a run.json, or a
 * checkpoint's metadata. Accepted documents: an architecture spec
 * (`"format": "epochgraph-architecture"`), or a run.json holding one under
 * `config.architecture` or `architecture`. Checkpoints may carry one as JSON text in the
 * safetensors metadata key `epochgraph.architecture`; an ONNX model's graph (metadata key
 * `onnx.graph`) is turned into one by onnx.ts.
 */
import { readFile } from 'node:fs/promises';
import { ONNX_GRAPH_METADATA_KEY } from '../checkpoint/onnx.js';
import type { OnnxTopology } from '../checkpoint/onnx.js';
import type { ArchitectureSpec } from './architecture.js';
import { parseArchitectureSpec } from './architecture.js';
import { GraphError } from './errors.js';
import { architectureFromOnnx } from './onnx.js';
import { printable } from '../util/format.js';

/** Checkpoint metadata key holding an architecture spec as JSON text. */
export const ARCHITECTURE_METADATA_KEY = 'epochgraph.architecture';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns the architecture spec a parsed JSON document holds (see the module header), or
 * `undefined` for a run.json without one. Throws `GraphError` for an invalid spec.
 */
export function architectureFromJson(document: unknown, source = 'architecture spec'): ArchitectureSpec | undefined {
  if (isObject(document) && document.format === undefined && (isObject(document.config) || 'history' in document)) {
    const config = isObject(document.config) ? document.config : {};
    for (const [key, value] of [['config.architecture', config.architecture], ['architecture', document.architecture]] as const) {
      if (value !== undefined) return parseArchitectureSpec(value, `${source}: ${key}`);
    }
    return undefined;
  }
  return parseArchitectureSpec(document, source);
}

/**
 * Returns the architecture recorded in checkpoint metadata under `epochgraph.architecture`,
 * else the one an ONNX model's graph describes (`onnx.graph`), or `undefined` if there is
 * neither. Throws `GraphError` if it is present but invalid.
 */
export function architectureFromMetadata(metadata: Readonly<Record<string, string>>, source = 'checkpoint metadata'): ArchitectureSpec | undefined {
  const text = metadata[ARCHITECTURE_METADATA_KEY];
  if (text === undefined) {
    const onnx = metadata[ONNX_GRAPH_METADATA_KEY];
    return onnx === undefined ? undefined : architectureFromOnnx(JSON.parse(onnx) as OnnxTopology, `${source}: ONNX graph`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new GraphError(`${source}: ${ARCHITECTURE_METADATA_KEY} is not valid JSON (${printable((error as Error).message)})`);
  }
  return architectureFromJson(document, `${source}: ${ARCHITECTURE_METADATA_KEY}`);
}

/**
 * Reads an architecture spec from a JSON file: a spec, or a run.json holding one.
 * Returns the validated spec; throws `GraphError` if the file is unreadable or holds none.
 */
export async function readArchitectureSpec(file: string): Promise<ArchitectureSpec> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new GraphError(`${file}: cannot read an architecture spec (${printable((error as Error).message)})`);
  }
  const spec = architectureFromJson(document, file);
  if (!spec) throw new GraphError(`${file}: the run has no config.architecture or architecture`);
  return spec;
}
