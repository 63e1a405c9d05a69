/**
 * In-memory tensors.
 *
 * Layout: row-major (C order), contiguous, PyTorch conventions for weights:
 * dense `[out, in]`, conv `[out, in, kh, kw]`. Element type follows the file's dtype;
 * F16 and BF16 are kept as their raw 16-bit patterns (`Uint16Array`) so that files
 * round-trip bit for bit, and are widened on demand by `tensorToFloat32`.
 */
import { EpochgraphError } from '../errors.js';

/** Element types epochgraph reads and writes (safetensors spelling). */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** True if `value` names a supported dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_BYTES, value);
}

/** Typed-array storage of each dtype. */
export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** A named, contiguous, row-major tensor. */
export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Largest element count accepted anywhere: 2^40, far above any checkpoint, well inside float64 integers. */
const MAX_ELEMENTS = 2 ** 40;

/**
 * Number of elements of a shape. Returns `undefined` if a dimension is not a
 * non-negative safe integer or the product exceeds 2^40 (a corrupt or hostile header).
 */
export function elementCount(shape: readonly unknown[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
    if (n > MAX_ELEMENTS) return undefined;
  }
  return n;
}

/**
 * Views `bytes` (little-endian, as stored in files) as the typed array of `dtype`.
 * Copies only when `bytes` is not aligned for the element type.
 * Throws if the byte length is not a whole number of elements.
 */
export function typedArrayFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new EpochgraphError(`tensor: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const length = aligned.byteLength / size;
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer, byteOffset, length);
    case 'F32':
      return new Float32Array(buffer, byteOffset, length);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'I64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'I32':
      return new Int32Array(buffer, byteOffset, length);
    case 'I16':
      return new Int16Array(buffer, byteOffset, length);
    case 'I8':
      return new Int8Array(buffer, byteOffset, length);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer, byteOffset, length);
  }
}

/** Creates a tensor, checking that `data` matches `dtype` and `shape`. */
export function makeTensor(name: string, dtype: DType, shape: readonly number[], data: TensorData): Tensor {
  const n = elementCount(shape);
  if (n === undefined) throw new EpochgraphError(`tensor ${name}: invalid shape [${shape.join(', ')}]`);
  if (data.length !== n || data.BYTES_PER_ELEMENT !== DTYPE_BYTES[dtype]) {
    throw new EpochgraphError(
      `tensor ${name}: ${data.constructor.name} of length ${data.length} does not hold ${dtype} [${shape.join(', ')}]`,
    );
  }
  return { name, dtype, shape: [...shape], data };
}

let halfTable: Float32Array | undefined;

/** Float32 value of every IEEE 754 binary16 bit pattern (built once, 256 KiB). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** Widens raw binary16 bit patterns to float32 (exact). */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Widens raw bfloat16 bit patterns to float32 (exact: bfloat16 is the top half of float32). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
  return out;
}

/**
 * The tensor's values as float32, in the same layout. Exact for F32, F16, BF16 and
 * small integers; F64 and large integers are rounded to nearest. Returns `data`
 * itself (no copy) when the tensor is already F32.
 */
export function tensorToFloat32(t: Tensor): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F16':
      return halfBitsToFloat32(t.data as Uint16Array);
    case 'BF16':
      return bfloat16BitsToFloat32(t.data as Uint16Array);
    case 'I64': {
      const src = t.data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      return Float32Array.from(t.data as ArrayLike<number>);
  }
}

/**
 * The tensor's values as float64, in the same layout. Exact for every float dtype
 * and for integers up to 2^53. Returns `data` itself when the tensor is already F64.
 */
export function tensorToFloat64(t: Tensor): Float64Array {
  switch (t.dtype) {
    case 'F64':
      return t.data as Float64Array;
    case 'F16':
    case 'BF16':
      return Float64Array.from(tensorToFloat32(t));
    case 'I64': {
      const src = t.data as BigInt64Array;
      const out = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      return Float64Array.from(t.data as ArrayLike<number>);
  }
}

/** Summary statistics of one tensor, as `inspect-checkpoint` prints them. */
export interface TensorStats {
  /** Smallest finite value, or null if there is none. */
  readonly min: number | null;
  /** Largest finite value, or null if there is none. */
  readonly max: number | null;
  /** Mean of the finite values, or null if there are none. */
  readonly mean: number | null;
  /** Count of NaN, +Inf and -Inf elements. */
  readonly nonFinite: number;
}

/** Min, max and mean over the finite elements, and the count of non-finite ones (float64 accumulation). */
export function tensorStats(t: Tensor): TensorStats {
  const values = t.dtype === 'F32' || t.dtype === 'F64' ? t.data : tensorToFloat64(t);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  let nonFinite = 0;
  const v = values as ArrayLike<number>;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x !== 0) {
      nonFinite++;
      continue;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    finite++;
  }
  if (finite === 0) return { min: null, max: null, mean: null, nonFinite };
  return { min, max, mean: sum / finite, nonFinite };
}
