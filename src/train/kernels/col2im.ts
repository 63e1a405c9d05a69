/**
 * col2im for NHWC convolutions on the heap: the adjoint of reading x through its windows.
 *
 * Given the column-matrix gradient dcols (one row per output pixel, one column per tap,
 * in the order of `window.ts`), adds every tap back onto the input element it was read
 * from; taps in the padding are dropped. With dw = 1 a window row that lies inside x is
 * KW*C contiguous floats in both x and dcols, so it is added as one run of 128-bit loads
 * and stores; only windows that touch the padding go tap by tap.
 */
import type { WasmHeap } from './heap.js';
import { FunctionBuilder, I32, OP, SIMD } from '../../util/wasm-asm.js';
import type { Window } from './window.js';

const PARAMS = ['x', 'N', 'H', 'W', 'C', 'KH', 'KW', 'sh', 'sw', 'dh', 'dw', 'top', 'left', 'OH', 'OW', 'cols'];

/** x[...] += cols[p, t] over every tap inside x. */
function col2imFunction(): FunctionBuilder {
  const f = new FunctionBuilder('col2im', PARAMS);
  for (const l of ['xn', 'ih0', 'iw0', 'ih', 'iw', 'full', 'src', 'dst', 'runBytes', 'tapBytes', 'imageBytes', 'pixBytes', 'bytes16', 'rowStart']) {
    f.local(l, I32);
  }
  /** x at `src` += cols at `dst` over `bytes` bytes: 16 at a time, then 4. */
  const addRun = (bytes: string): void => {
    f.get(bytes).i32(-16).op(OP.i32And).set('bytes16');
    for (const width of [16, 4] as const) {
      f.for('off', width === 16 ? 0 : 'bytes16', width === 16 ? 'bytes16' : bytes, width, () => {
        f.get('src').get('off').op(OP.i32Add);
        f.get('src').get('off').op(OP.i32Add);
        if (width === 16) f.v128Load();
        else f.f32Load();
        f.get('dst').get('off').op(OP.i32Add);
        if (width === 16) f.v128Load().simd(SIMD.f32x4Add).v128Store();
        else f.f32Load().op(OP.f32Add).f32Store();
      });
    }
  };
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
        // full = dw == 1 && iw0 >= 0 && iw0 + KW <= W: the whole window row is one run.
        f.get('dw').i32(1).op(OP.i32Eq);
        f.get('iw0').i32(0).op(OP.i32GeS, OP.i32And);
        f.get('iw0').get('KW').op(OP.i32Add).get('W').op(OP.i32LeS, OP.i32And).set('full');
        f.for('kh', 0, 'KH', 1, () => {
          f.get('ih0').get('kh').get('dh').op(OP.i32Mul, OP.i32Add).tee('ih');
          f.get('H').op(OP.i32LtU);
          f.if(() => {
            f.get('ih').get('W').op(OP.i32Mul).get('iw0').op(OP.i32Add).get('tapBytes').op(OP.i32Mul);
            f.get('xn').op(OP.i32Add).set('pixBytes');
            f.get('full').if(
              () => {
                f.get('pixBytes').set('src');
                addRun('runBytes');
              },
              () => {
                f.get('dst').set('rowStart');
                f.for('kw', 0, 'KW', 1, () => {
                  f.get('iw0').get('kw').get('dw').op(OP.i32Mul, OP.i32Add).tee('iw');
                  f.get('W').op(OP.i32LtU);
                  f.if(() => {
                    f.get('pixBytes').get('kw').get('dw').op(OP.i32Mul).get('tapBytes').op(OP.i32Mul, OP.i32Add);
                    f.set('src');
                    addRun('tapBytes');
                  });
                  f.addTo('dst', 'tapBytes');
                });
                // Back to the start of the window row: both paths advance dst once below.
                f.get('rowStart').set('dst');
              },
            );
          });
          f.addTo('dst', 'runBytes');
        });
      });
    });
    f.addTo('xn', 'imageBytes');
  });
  return f;
}

/** Scatter-adds the column-matrix gradient `cols` into x (byte offsets); returns nothing. */
export function col2im(heap: WasmHeap, cols: number, w: Window, x: number): void {
  const r = heap.routines<{ col2im(...args: number[]): void }>('col2im', () => [col2imFunction()]);
  r.col2im(x, w.N, w.H, w.W, w.C, w.KH, w.KW, w.strideH, w.strideW, w.dilationH, w.dilationW, w.top, w.left, w.OH, w.OW, cols);
}
