/**
 * ONNX model reader: the weights are the graph's initializers; the graph itself (nodes,
 * their attributes, the input's shape) is kept as the topology from which
 * src/graph/onnx.ts derives the architecture.
 *
 * Format: a protocol-buffers `ModelProto` (onnx/onnx.proto, IR version 3 and later;
 * https://onnx.ai/onnx/repo-docs/IR.html). Decoding uses protobufjs with the subset of the
 * schema below, field numbers as in onnx.proto; unknown fields are skipped, so newer
 * models decode too. protobufjs was chosen over `onnx-proto` (a generated copy of the
 * schema) because that package pins protobufjs 6 and has not been updated since 2022,
 * while the schema subset needed here is small and stable.
 *
 * Tensors: `raw_data` (little-endian) or the typed `*_data` fields; external data
 * (`data_location = EXTERNAL`, `location`/`offset`/`length` relative to the model's
 * folder) is read by byte range. Weights come out in PyTorch's layout: a `Gemm` with
 * `transB = 0` and a `MatMul` by an initializer store `[in, out]`, which is transposed to
 * `[out, in]` (the topology then records `transB = 1`).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import protobuf from 'protobufjs';
import { CheckpointError } from '../errors.js';
import { compareNatural } from '../util/natural-sort.js';
import type { CheckpointReader, ParameterOrder, TensorEntry } from './checkpoint.js';
import { openForReading, readExactly } from './file.js';
import { entryReader } from './memory-reader.js';
import { permuteAxes } from './permute.js';
import { DTYPE_BYTES, elementCount, typedArrayFromBytes } from './tensor.js';
import type { DType, Tensor, TensorData } from './tensor.js';

/** Metadata key under which the reader exposes the model's topology (`OnnxTopology` as JSON). */
export const ONNX_GRAPH_METADATA_KEY = 'onnx.graph';

/** Reader defaults. */
export const ONNX_DEFAULTS = Object.freeze({
  /** Parameter order: initializers are listed in the order the exporter wrote them, which follows the graph. */
  order: 'file' as ParameterOrder,
  /** Attribute tensors (e.g. a `Constant` node's value) with at most this many elements are kept in the topology. */
  maxAttributeElements: 64,
});

/** An attribute value kept in the topology: numbers, lists of numbers, a string, or a small tensor's values. */
export type OnnxAttribute = number | readonly number[] | string | { readonly dims: readonly number[]; readonly values: readonly number[] };

/** One node of the graph. */
export interface OnnxNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
}

/** The graph's structure: its data inputs (with shapes; a symbolic dimension is null) and nodes in topological order. */
export interface OnnxTopology {
  readonly inputs: readonly { readonly name: string; readonly shape: readonly (number | null)[] }[];
  readonly outputs: readonly string[];
  readonly nodes: readonly OnnxNode[];
}

// The subset of onnx.proto (proto2) the reader needs.
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            producer_name: { type: 'string', id: 2 },
            producer_version: { type: 'string', id: 3 },
            graph: { type: 'GraphProto', id: 7 },
            opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            data_type: { type: 'int32', id: 2 },
            float_data: { rule: 'repeated', type: 'float', id: 4 },
            int32_data: { rule: 'repeated', type: 'int32', id: 5 },
            int64_data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            raw_data: { type: 'bytes', id: 9 },
            double_data: { rule: 'repeated', type: 'double', id: 10 },
            uint64_data: { rule: 'repeated', type: 'uint64', id: 11 },
            external_data: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            data_location: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensor_type: { type: 'TensorTypeProto', id: 1 } } },
        TensorTypeProto: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } } },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

interface StringEntry {
  key: string;
  value: string;
}
interface TensorProto {
  dims: number[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: number[];
  name: string;
  raw_data?: Uint8Array;
  double_data: number[];
  uint64_data: number[];
  external_data: StringEntry[];
  data_location: number;
}
interface AttributeProto {
  name: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: number[];
  type: number;
}
interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: AttributeProto[];
  domain: string;
}
interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: { dim_value?: number; dim_param?: string }[] } } };
}
interface ModelProto {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  graph?: { node: NodeProto[]; name: string; initializer: TensorProto[]; input: ValueInfoProto[]; output: ValueInfoProto[] };
  metadata_props: StringEntry[];
}

/** TensorProto.DataType -> our dtype (onnx.proto, `enum DataType`). */
const ONNX_DTYPES: Readonly<Record<number, DType>> = {
  1: 'F32',
  2: 'U8',
  3: 'I8',
  5: 'I16',
  6: 'I32',
  7: 'I64',
  9: 'BOOL',
  10: 'F16',
  11: 'F64',
  16: 'BF16',
};

/** AttributeProto.AttributeType values the topology keeps. */
const ATTRIBUTE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Where a tensor's bytes are. */
type TensorSource =
  | { readonly kind: 'memory'; readonly bytes: Uint8Array }
  | { readonly kind: 'external'; readonly file: string; readonly offset: number; readonly length: number };

interface OnnxEntry extends TensorEntry {
  readonly source: TensorSource;
  /** Transpose the stored 2-D `[in, out]` matrix to `[out, in]` on read. */
  readonly transpose: boolean;
}

/** Options of `openOnnx`. */
export interface OnnxOpenOptions {
  order?: ParameterOrder;
}

/** True if `bytes` (a file's first bytes) look like an ONNX `ModelProto`: field 1 (ir_version, varint 1-20) first. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x08 || bytes[1] < 1 || bytes[1] > 20) return false;
  // The next field is one of ModelProto's length-delimited or varint fields (2-8, 14, 20, 25).
  const tag = bytes[2];
  const field = tag >> 3;
  const wire = tag & 7;
  return (wire === 2 && [2, 3, 4, 6, 7, 8, 14, 20, 25].includes(field)) || (wire === 0 && field === 5);
}

function fail(file: string, detail: string): never {
  throw new CheckpointError(file, detail);
}

function attributeValue(attribute: AttributeProto): OnnxAttribute | undefined {
  switch (attribute.type) {
    case ATTRIBUTE.FLOAT:
      return attribute.f ?? 0;
    case ATTRIBUTE.INT:
      return attribute.i ?? 0;
    case ATTRIBUTE.STRING:
      return new TextDecoder().decode(attribute.s ?? new Uint8Array(0));
    case ATTRIBUTE.FLOATS:
      return attribute.floats;
    case ATTRIBUTE.INTS:
      return attribute.ints;
    case ATTRIBUTE.TENSOR: {
      const t = attribute.t;
      const dtype = t ? ONNX_DTYPES[t.data_type] : undefined;
      const count = t ? elementCount(t.dims) : undefined;
      if (!t || !dtype || count === undefined || count > ONNX_DEFAULTS.maxAttributeElements || t.data_location === 1) return undefined;
      const values = numbersOf(tensorValues(t, dtype, count));
      return values ? { dims: t.dims, values } : undefined;
    }
    default:
      return undefined;
  }
}

/** Values of a small in-memory tensor as numbers, or undefined when it holds none. */
function numbersOf(data: TensorData | undefined): number[] | undefined {
  if (!data) return undefined;
  return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data as ArrayLike<number>);
}

/** The typed array of an in-memory TensorProto, or undefined when its data is not held in the proto. */
function tensorValues(t: TensorProto, dtype: DType, count: number): TensorData | undefined {
  if (t.raw_data && t.raw_data.length > 0) return typedArrayFromBytes(dtype, t.raw_data);
  if (count === 0) return typedArrayFromBytes(dtype, new Uint8Array(0));
  return typedFromFields(t, dtype);
}

/** Typed `*_data` fields of a TensorProto as the dtype's typed array (onnx.proto documents which field holds which type). */
function typedFromFields(t: TensorProto, dtype: DType): TensorData | undefined {
  switch (dtype) {
    case 'F32':
      return t.float_data.length > 0 ? Float32Array.from(t.float_data) : undefined;
    case 'F64':
      return t.double_data.length > 0 ? Float64Array.from(t.double_data) : undefined;
    case 'I64':
      return t.int64_data.length > 0 ? BigInt64Array.from(t.int64_data, (v) => BigInt(v)) : undefined;
    case 'I32':
      return t.int32_data.length > 0 ? Int32Array.from(t.int32_data) : undefined;
    case 'I16':
      return t.int32_data.length > 0 ? Int16Array.from(t.int32_data) : undefined;
    case 'I8':
      return t.int32_data.length > 0 ? Int8Array.from(t.int32_data) : undefined;
    case 'U8':
    case 'BOOL':
      return t.int32_data.length > 0 ? Uint8Array.from(t.int32_data) : undefined;
    // float16 and bfloat16 values are stored as their bit patterns in int32_data.
    case 'F16':
    case 'BF16':
      return t.int32_data.length > 0 ? Uint16Array.from(t.int32_data) : undefined;
  }
}

/** Locates one initializer's data. */
function locate(file: string, t: TensorProto, transpose: boolean): OnnxEntry {
  const name = t.name;
  if (!name) fail(file, 'an initializer has no name');
  const dtype = ONNX_DTYPES[t.data_type];
  if (!dtype) fail(file, `initializer ${JSON.stringify(name)}: unsupported data_type ${t.data_type}`);
  const count = elementCount(t.dims);
  if (count === undefined) fail(file, `initializer ${JSON.stringify(name)}: invalid dims [${t.dims.join(', ')}]`);
  const byteLength = count * DTYPE_BYTES[dtype];
  const shape = transpose ? [t.dims[1], t.dims[0]] : t.dims;
  const entry = (source: TensorSource): OnnxEntry => ({ name, dtype, shape, byteLength, source, transpose });
  if (t.data_location === 1) {
    const fields = new Map(t.external_data.map((e) => [e.key, e.value]));
    const location = fields.get('location');
    if (!location) fail(file, `initializer ${JSON.stringify(name)}: external data without a location`);
    const normalised = normalize(location);
    if (isAbsolute(normalised) || normalised.startsWith('..')) fail(file, `initializer ${JSON.stringify(name)}: external data location ${JSON.stringify(location)} leaves the model's folder`);
    const offset = Number(fields.get('offset') ?? 0);
    const length = Number(fields.get('length') ?? byteLength);
    if (!Number.isSafeInteger(offset) || offset < 0 || length !== byteLength) {
      fail(file, `initializer ${JSON.stringify(name)}: external data offset ${fields.get('offset')} / length ${fields.get('length')} do not fit ${dtype} [${t.dims.join(', ')}] (${byteLength} bytes)`);
    }
    return entry({ kind: 'external', file: join(dirname(file), normalised), offset, length });
  }
  if (t.raw_data && t.raw_data.length > 0) {
    if (t.raw_data.length !== byteLength) fail(file, `initializer ${JSON.stringify(name)}: ${dtype} [${t.dims.join(', ')}] needs ${byteLength} bytes but raw_data holds ${t.raw_data.length}`);
    return entry({ kind: 'memory', bytes: t.raw_data });
  }
  const typed = count === 0 ? typedArrayFromBytes(dtype, new Uint8Array(0)) : typedFromFields(t, dtype);
  if (!typed || typed.length !== count) fail(file, `initializer ${JSON.stringify(name)}: ${dtype} [${t.dims.join(', ')}] has ${typed?.length ?? 0} values`);
  return entry({ kind: 'memory', bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength) });
}

/** Decodes a ModelProto, turning int64 fields into numbers. */
function decodeModel(file: string, bytes: Uint8Array): ModelProto {
  const type = modelProto();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new CheckpointError(file, `not a valid ONNX model (${(error as Error).message})`);
  }
  return type.toObject(message, { longs: Number, arrays: true, defaults: false }) as unknown as ModelProto;
}

/**
 * Opens an ONNX model: decodes it, locates every initializer and records the topology
 * under the metadata key `onnx.graph` (plus the model's `metadata_props` and producer).
 * Returns a reader; throws `CheckpointError` for a file that is not a readable model.
 */
export async function openOnnx(file: string, options: OnnxOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? ONNX_DEFAULTS.order;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CheckpointError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const model = decodeModel(file, bytes);
  const graph = model.graph;
  if (!graph) fail(file, 'ONNX model has no graph');
  const nodes = graph.node ?? [];
  const initializers = graph.initializer ?? [];
  const initializerNames = new Set(initializers.map((t) => t.name));
  // Weights multiplied as [in, out] that the reader hands out as [out, in].
  const transposed = new Set<string>();
  const topologyNodes: OnnxNode[] = nodes.map((node, index) => {
    const attributes: Record<string, OnnxAttribute> = {};
    for (const a of node.attribute ?? []) {
      const value = attributeValue(a);
      if (value !== undefined) attributes[a.name] = value;
    }
    const inputs = node.input ?? [];
    const weight = inputs[1];
    const byInitializer = weight !== undefined && initializerNames.has(weight);
    if (byInitializer && ((node.op_type === 'Gemm' && !attributes.transB) || node.op_type === 'MatMul')) {
      transposed.add(weight);
      if (node.op_type === 'Gemm') attributes.transB = 1;
    }
    return { name: node.name || `${node.op_type}_${index}`, op: node.op_type, inputs, outputs: node.output ?? [], attributes };
  });
  const entries = initializers.map((t) => {
    const transpose = transposed.has(t.name);
    if (transpose && t.dims.length !== 2) fail(file, `initializer ${JSON.stringify(t.name)}: a matrix multiplied by a Gemm or MatMul must be 2-D, got [${t.dims.join(', ')}]`);
    return locate(file, t, transpose);
  });
  const topology: OnnxTopology = {
    inputs: (graph.input ?? [])
      .filter((v) => !initializerNames.has(v.name))
      .map((v) => ({ name: v.name, shape: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && d.dim_value > 0 ? d.dim_value : null)) })),
    outputs: (graph.output ?? []).map((v) => v.name),
    nodes: topologyNodes,
  };
  const metadata: Record<string, string> = {};
  for (const { key, value } of model.metadata_props ?? []) metadata[key] = value;
  if (model.producer_name) metadata['onnx.producer'] = `${model.producer_name}${model.producer_version ? ` ${model.producer_version}` : ''}`;
  metadata[ONNX_GRAPH_METADATA_KEY] = JSON.stringify(topology);
  if (order === 'natural') entries.sort((a, b) => compareNatural(a.name, b.name));
  return entryReader(file, 'onnx', entries, metadata, loadInitializer);
}

/** Reads one initializer's data, transposed to `[out, in]` where the graph multiplies by `[in, out]`. */
async function loadInitializer(entry: OnnxEntry): Promise<Tensor> {
  const { name, source, dtype, shape } = entry;
  let bytes: Uint8Array;
  if (source.kind === 'external') {
    const handle = await openForReading(source.file);
    try {
      bytes = await readExactly(handle, source.file, source.offset, source.length);
    } finally {
      await handle.close();
    }
  } else {
    // A copy (decoded bytes are views into the file's Buffer, whose offsets need not be aligned).
    bytes = new Uint8Array(source.bytes);
  }
  const data = typedArrayFromBytes(dtype, bytes);
  return { name, dtype, shape, data: entry.transpose ? permuteAxes(data, [shape[1], shape[0]], [1, 0]) : data };
}
