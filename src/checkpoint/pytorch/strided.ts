/**
 * Strided tensor views as PyTorch lays them out (torch.Tensor.stride, as_strided):
 * element (i0, ..., in) of a view with storage offset o lives at storage element
 * o + i0·stride0 + ... + in·striden. A view `torch.save` writes may be transposed,
 * sliced, offset or expanded (stride 0); epochgraph tensors are contiguous row-major,
 * so such views are gathered into a fresh buffer.
 */

/** True if `stride` is the row-major (C-order) stride of `shape`, ignoring size-1 dimensions. */
export function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (shape[axis] !== 1 && stride[axis] !== expected) return false;
    expected *= shape[axis];
  }
  return true;
}

/**
 * Number of storage elements a non-empty view spans from its first element:
 * 1 + Σ (size - 1)·stride. Returns 0 for a view with no elements.
 */
export function viewExtent(shape: readonly number[], stride: readonly number[]): number {
  let extent = 1;
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] === 0) return 0;
    extent += (shape[axis] - 1) * stride[axis];
  }
  return extent;
}

/** `bytes` viewed as words of `unit` bytes (1, 2 or 4); copies only if misaligned. */
function words(bytes: Uint8Array, unit: number): Uint8Array | Uint16Array | Uint32Array {
  const aligned = bytes.byteOffset % unit === 0 ? bytes : bytes.slice();
  const length = aligned.byteLength / unit;
  if (unit === 4) return new Uint32Array(aligned.buffer, aligned.byteOffset, length);
  if (unit === 2) return new Uint16Array(aligned.buffer, aligned.byteOffset, length);
  return aligned;
}

/**
 * Gathers the view `shape`/`stride` whose first element is element 0 of `source`
 * (elements of `itemSize` bytes: 1, 2, 4 or 8) into contiguous row-major order.
 * Returns the new bytes; the caller guarantees `source` covers `viewExtent(shape, stride)` elements.
 */
export function gatherStrided(source: Uint8Array, itemSize: number, shape: readonly number[], stride: readonly number[]): Uint8Array {
  let count = 1;
  for (const size of shape) count *= size;
  const out = new Uint8Array(count * itemSize);
  if (count === 0) return out;
  // Copy whole elements as 8-, 16- or 32-bit words (an 8-byte element is two words) so that
  // no value passes through a float register, which could rewrite NaN payloads.
  const unit = Math.min(itemSize, 4);
  const perElement = itemSize / unit;
  const src = words(source, unit);
  const dst = words(out, unit);
  const rank = shape.length;
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const innerStride = (rank === 0 ? 0 : stride[rank - 1]) * perElement;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let base = 0;
  let d = 0;
  for (let row = count / inner; row > 0; row--) {
    for (let i = 0, s = base * perElement; i < inner; i++, s += innerStride) {
      for (let k = 0; k < perElement; k++) dst[d++] = src[s + k];
    }
    // Odometer over the outer dimensions, last fastest.
    for (let axis = rank - 2; axis >= 0; axis--) {
      base += stride[axis];
      if (++index[axis] < shape[axis]) break;
      base -= stride[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** Most dimensions a message lists. */
const MAX_LISTED_DIMS = 8;

/** Returns `dims` (a shape or stride) as `[a, b, c]` for messages, eliding beyond 8 dimensions. */
export function formatDims(dims: readonly number[]): string {
  const shown = dims.slice(0, MAX_LISTED_DIMS).join(', ');
  return `[${shown}${dims.length > MAX_LISTED_DIMS ? ', ...' : ''}]`;
}
