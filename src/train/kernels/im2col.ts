/**
 * Patch gathering (im2col) and its adjoint (col2im) for NHWC convolutions, on the heap.
 *
 * Layout. For an input x [N, H, W, C] and a KH x KW window with strides (sh, sw),
 * dilations (dh, dw) and top/left padding, the column matrix has one row per output
 * pixel p = (n, oh, ow) and one column per tap t = (kh, kw, c), row-major:
 * cols[p, t] = x[n, oh*sh - top + kh*dh, ow*sw - left + kw*dw, c], zero outside x.
 * Because tfjs filters are [KH, KW, C, O], the filter is the K x O right-hand operand of
 * a product with this matrix as it stands (K = KH*KW*C), with no reordering.
 *
 * Why it is fast: with dw = 1 a window row that lies inside x is KW*C contiguous floats
 * in both x and cols, so it moves as one run of 128-bit loads and stores; only windows
 * that touch the padding are assembled tap by tap.
 */
import { assemble, FunctionBuilder, I32, OP, SIMD } from './wasm-asm.js';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { WasmHeap } from './heap.js';

const PARAMS = ['x', 'N', 'H', 'W', 'C', 'KH', 'KW', 'sh', 'sw', 'dh', 'dw', 'top', 'left', 'OH', 'OW', 'cols'];

/**
 * Emits a loop over a run of `bytes` bytes (a multiple of 4) with the byte offset in local
 * `off`: 16 bytes per step, then 4; `body` emits one step of the given width.
 */
function runLoop(f: FunctionBuilder, bytes: string, body: (width: 16 | 4) => void): void {
  f.local('off', I32);
  f.local('bytes16', I32);
  f.get(bytes).i32(-16).op(OP.i32And).set('bytes16');
  f.for('off', 0, 'bytes16', 16, () => body(16));
  f.for('off', 'bytes16', bytes, 4, () => body(4));
}

/**
 * Emits the shared traversal over output pixels and window rows; `run` moves the floats
 * of an in-bounds run (x address in `src`, column address in `dst`), `zero` handles a
 * run that lies in the padding.
 */
function traversal(
  name: string,
  run: (f: FunctionBuilder, src: string, bytes: string) => void,
  zero: (f: FunctionBuilder, bytes: string) => void,
): FunctionBuilder {
  const f = new FunctionBuilder(name, PARAMS);
  for (const l of ['xn', 'ih0', 'iw0', 'ih', 'iw', 'full', 'src', 'dst', 'runBytes', 'tapBytes', 'imageBytes', 'pixBytes']) {
    f.local(l, I32);
  }
  f.get('C').i32(2).op(OP.i32Shl).set('tapBytes');
  f.get('KW').get('tapBytes').op(OP.i32Mul).set('runBytes');
  f.get('H').get('W').op(OP.i32Mul).get('tapBytes').op(OP.i32Mul).set('imageBytes');
  f.get('cols').set('dst');
  f.get('x').set('xn');
  f.for('n', 0, 'N', 1, () => {
    f.for('oh', 0, 'OH', 1, () => {
      f.get('oh').get('sh').op(OP.i32Mul).get('top').op(OP.i32Sub).set('ih0');
      f.for('ow', 0, 'OW', 1, () => {
        f.get('ow').get('sw').op(OP.i32Mul).get('left').op(OP.i32Sub).set('iw0');
        // full = dw == 1 && iw0 >= 0 && iw0 + KW <= W
        f.get('dw').i32(1).op(OP.i32Eq);
        f.get('iw0').i32(0).op(OP.i32GeS, OP.i32And);
        f.get('iw0').get('KW').op(OP.i32Add).get('W').op(OP.i32LeS, OP.i32And).set('full');
        f.for('kh', 0, 'KH', 1, () => {
          f.get('ih0').get('kh').get('dh').op(OP.i32Mul, OP.i32Add).tee('ih');
          f.get('H').op(OP.i32GeU);
          f.if(
            () => zero(f, 'runBytes'),
            () => {
              f.get('ih').get('W').op(OP.i32Mul).get('iw0').op(OP.i32Add).get('tapBytes').op(OP.i32Mul);
              f.get('xn').op(OP.i32Add).set('pixBytes');
              f.get('full').if(
                () => {
                  f.get('pixBytes').set('src');
                  run(f, 'src', 'runBytes');
                },
                () => {
                  f.for('kw', 0, 'KW', 1, () => {
                    f.get('iw0').get('kw').get('dw').op(OP.i32Mul, OP.i32Add).tee('iw');
                    f.get('W').op(OP.i32GeU);
                    f.if(
                      () => zero(f, 'tapBytes'),
                      () => {
                        f.get('pixBytes').get('kw').get('dw').op(OP.i32Mul).get('tapBytes').op(OP.i32Mul, OP.i32Add);
                        f.set('src');
                        run(f, 'src', 'tapBytes');
                      },
                    );
                    f.addTo('dst', 'tapBytes');
                  });
                  // The per-tap loop advanced dst already; undo so both paths advance once below.
                  f.get('dst').get('runBytes').op(OP.i32Sub).set('dst');
                },
              );
            },
          );
          f.addTo('dst', 'runBytes');
        });
      });
    });
    f.addTo('xn', 'imageBytes');
  });
  return f;
}

/** cols[p, t] = x[...] (zero in the padding). */
function im2colFunction(): FunctionBuilder {
  return traversal(
    'im2col',
    (f, src, bytes) =>
      runLoop(f, bytes, (w) => {
        f.get('dst').get('off').op(OP.i32Add);
        f.get(src).get('off').op(OP.i32Add);
        if (w === 16) f.v128Load().v128Store();
        else f.f32Load().f32Store();
      }),
    (f, bytes) =>
      runLoop(f, bytes, (w) => {
        f.get('dst').get('off').op(OP.i32Add);
        if (w === 16) f.f32(0).simd(SIMD.f32x4Splat).v128Store();
        else f.f32(0).f32Store();
      }),
  );
}

/** x[...] += cols[p, t] over every tap inside x (x must be zeroed first). */
function col2imFunction(): FunctionBuilder {
  return traversal(
    'col2im',
    (f, src, bytes) =>
      runLoop(f, bytes, (w) => {
        // Here `src` addresses x (the destination of the scatter) and dst the columns.
        f.get(src).get('off').op(OP.i32Add);
        f.get(src).get('off').op(OP.i32Add);
        if (w === 16) f.v128Load();
        else f.f32Load();
        f.get('dst').get('off').op(OP.i32Add);
        if (w === 16) f.v128Load().simd(SIMD.f32x4Add).v128Store();
        else f.f32Load().op(OP.f32Add).f32Store();
      }),
    () => undefined,
  );
}

interface Im2colRoutines {
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
}

const routines = new WeakMap<WasmHeap, Im2colRoutines>();

function routinesOf(heap: WasmHeap): Im2colRoutines {
  let r = routines.get(heap);
  if (r === undefined) {
    r = assemble(heap.memory, [im2colFunction(), col2imFunction()]) as unknown as Im2colRoutines;
    routines.set(heap, r);
  }
  return r;
}

/** Geometry of a 2-D NHWC window over an input. */
export interface Window {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  top: number;
  left: number;
  OH: number;
  OW: number;
}

function args(w: Window): number[] {
  return [w.N, w.H, w.W, w.C, w.KH, w.KW, w.strideH, w.strideW, w.dilationH, w.dilationW, w.top, w.left, w.OH, w.OW];
}

/** Writes the column matrix of x (byte offset) to `cols`; returns nothing. */
export function im2col(heap: WasmHeap, x: number, w: Window, cols: number): void {
  routinesOf(heap).im2col(x, ...args(w), cols);
}

/** Scatter-adds the column matrix into x (byte offset); returns nothing. */
export function col2im(heap: WasmHeap, cols: number, w: Window, x: number): void {
  routinesOf(heap).col2im(x, ...args(w), cols);
}

/** Returns the window of a tfjs convolution (NHWC). */
export function windowOf(info: backend_util.Conv2DInfo): Window {
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    KH: info.filterHeight,
    KW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    OH: info.outHeight,
    OW: info.outWidth,
  };
}

/** True when the column matrix of x is x itself (1 x 1 window, stride 1, no padding). */
export function isPointwise(w: Window): boolean {
  return w.KH === 1 && w.KW === 1 && w.strideH === 1 && w.strideW === 1 && w.top === 0 && w.left === 0 && w.OH === w.H && w.OW === w.W;
}

/** Column-matrix floats per chunk: large enough to amortise a call, small enough for L2. */
const CHUNK_FLOATS = 1 << 17;

/** Splits the batch into chunks of whole images whose column matrices fit CHUNK_FLOATS; returns [first, count] pairs. */
export function imageChunks(w: Window): Array<[number, number]> {
  const perImage = w.OH * w.OW * w.KH * w.KW * w.C;
  const step = Math.max(1, Math.floor(CHUNK_FLOATS / Math.max(1, perImage)));
  const chunks: Array<[number, number]> = [];
  for (let n = 0; n < w.N; n += step) chunks.push([n, Math.min(step, w.N - n)]);
  return chunks;
}
