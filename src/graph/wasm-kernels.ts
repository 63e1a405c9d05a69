/**
 * WebAssembly SIMD kernels for products with a chain of dense weight blocks.
 *
 * Why WebAssembly: V8 does not vectorise JavaScript loops. A 128-bit SIMD kernel that
 * streams four weight rows per pass runs a symmetric block product about 5x faster than
 * the best scalar JavaScript loop over the same typed arrays, which is what brings a
 * product within reach of the memory-bandwidth limit. The module is assembled with the
 * shared assembler in `util/wasm-asm.ts` (core spec 2.0 + fixed-width SIMD), so nothing is
 * compiled or downloaded at install time.
 *
 * Kernels. Every address is a byte offset into the imported memory; node vectors are
 * float64, weights are float32 (`sym32`, `fwd32`) or float64 (`sym64`, `fwd64`), and all
 * accumulation is float64. A block holds `groups` sub-blocks W_g, each `rows x cols`,
 * row-major, one after the other (groups = 1: a dense layer; groups = channels with
 * 1 x 1 sub-blocks: a diagonal such as an identity shortcut or a depthwise conv).
 *
 *   sym(w, groups, rows, cols, xs, xd, ys, yd): for each g, i, j
 *       yd[i] += W_g[i,j] * xs[j]      (row products: source -> destination)
 *       ys[j] += W_g[i,j] * xd[i]      (column products: the transpose)
 *   fwd(w, groups, rows, cols, xs, xd, ys, yd): row products only (xd, ys unused).
 *   sum(w, groups, rows, cols, xs, xd, ys, yd): yd[i] += W_g[i,j], ys[j] += W_g[i,j]
 *       (row and column sums: the strengths; xs, xd unused).
 *
 * After each sub-block, xs and ys advance by `cols` elements and xd and yd by `rows`:
 * sub-block g reads source nodes g*cols.. and writes destination nodes g*rows.. .
 */
import { compile, F64, FunctionBuilder, I32, instantiate, OP, SIMD, V128 } from '../util/wasm-asm.js';

/** Rows streamed together by the main loop: shares each x/y vector load between four weight rows. */
const ROW_UNROLL = 4;

/** What a kernel computes (see the module header). */
type KernelKind = 'sym' | 'fwd' | 'sum';

/** Names of the per-row locals r = 0 .. count-1. */
function perRow(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, r) => `${prefix}${r}`);
}

/**
 * Assembles one block kernel exported as `name`.
 * `weightBytes`: 4 (float32 weights, widened to float64) or 8.
 */
function blockKernel(name: string, weightBytes: 4 | 8, kind: KernelKind): FunctionBuilder {
  const transpose = kind !== 'fwd';
  const multiply = kind !== 'sum';
  const f = new FunctionBuilder(name, ['w', 'groups', 'rows', 'cols', 'xs', 'xd', 'ys', 'yd']);
  for (const scalar of ['rowBytes', 'rowsLeft', 'colsLeft', 'xp', 'yp']) f.local(scalar, I32);
  const wp = perRow('wp', ROW_UNROLL);
  const acc = perRow('acc', ROW_UNROLL);
  const tail = perRow('tail', ROW_UNROLL);
  const xi = perRow('xi', ROW_UNROLL);
  const xiv = perRow('xiv', ROW_UNROLL);
  const v = perRow('v', ROW_UNROLL);
  for (const [names, type] of [[wp, I32], [acc, V128], [tail, F64], [xi, F64], [xiv, V128], [v, V128]] as const) {
    for (const local of names) f.local(local, type);
  }

  /** Pushes W[i, j..j+1] of row r as f64x2. */
  const loadPair = (r: number): void => {
    f.get(wp[r]);
    if (weightBytes === 4) f.v128Load64Zero().simd(SIMD.f64x2PromoteLowF32x4);
    else f.v128Load(0, 3);
  };
  /** Pushes W[i, j] of row r as f64. */
  const loadOne = (r: number): void => {
    f.get(wp[r]);
    if (weightBytes === 4) f.f32Load().op(OP.f64PromoteF32);
    else f.f64Load();
  };

  /** Processes `unroll` rows starting at the current xd/yd/w pointers, then advances them. */
  const rowsPass = (unroll: number): void => {
    for (let r = 0; r < unroll; r++) {
      if (r === 0) f.get('w').set(wp[0]);
      else f.get(wp[r - 1]).get('rowBytes').op(OP.i32Add).set(wp[r]);
      f.f64(0).simd(SIMD.f64x2Splat).set(acc[r]);
      f.f64(0).set(tail[r]);
      if (transpose && multiply) {
        f.get('xd').f64Load(8 * r).set(xi[r]);
        f.get(xi[r]).simd(SIMD.f64x2Splat).set(xiv[r]);
      }
    }
    f.get('xs').set('xp').get('ys').set('yp').get('cols').set('colsLeft');
    f.while(
      () => f.i32(1).get('colsLeft').op(OP.i32LtU),
      () => {
        for (let r = 0; r < unroll; r++) {
          loadPair(r);
          f.set(v[r]);
          f.get(acc[r]).get(v[r]);
          if (multiply) f.get('xp').v128Load(0, 3).simd(SIMD.f64x2Mul);
          f.simd(SIMD.f64x2Add).set(acc[r]);
          f.addTo(wp[r], 2 * weightBytes);
        }
        if (transpose) {
          // y[j..j+1] += sum over rows of W[r, j..j+1] * x[r], summed as a tree: a short dependency chain.
          f.get('yp').get('yp').v128Load(0, 3);
          for (let r = 0; r < unroll; r++) {
            f.get(v[r]);
            if (multiply) f.get(xiv[r]).simd(SIMD.f64x2Mul);
            if (r % 2 === 1) f.simd(SIMD.f64x2Add);
          }
          for (let partial = 0; partial < Math.ceil(unroll / 2); partial++) f.simd(SIMD.f64x2Add);
          f.v128Store(0, 3);
          f.addTo('yp', 16);
        }
        if (multiply) f.addTo('xp', 16);
        f.addTo('colsLeft', -2);
      },
    );
    // Odd column count: one scalar column left.
    f.get('colsLeft').if(() => {
      for (let r = 0; r < unroll; r++) {
        loadOne(r);
        if (multiply) f.get('xp').f64Load().op(OP.f64Mul);
        f.set(tail[r]);
      }
      if (transpose) {
        f.get('yp').get('yp').f64Load();
        for (let r = 0; r < unroll; r++) {
          loadOne(r);
          if (multiply) f.get(xi[r]).op(OP.f64Mul);
          f.op(OP.f64Add);
        }
        f.f64Store();
      }
    });
    for (let r = 0; r < unroll; r++) {
      f.get('yd').get('yd').f64Load(8 * r);
      f.get(acc[r]).f64x2ExtractLane(0).get(acc[r]).f64x2ExtractLane(1).op(OP.f64Add);
      f.get(tail[r]).op(OP.f64Add, OP.f64Add).f64Store(8 * r);
    }
    f.get('w').get('rowBytes').i32(unroll).op(OP.i32Mul, OP.i32Add).set('w');
    f.addTo('xd', 8 * unroll).addTo('yd', 8 * unroll).addTo('rowsLeft', -unroll);
  };

  f.get('cols').i32(weightBytes).op(OP.i32Mul).set('rowBytes');
  f.while(
    () => f.get('groups'),
    () => {
      f.get('rows').set('rowsLeft');
      f.while(() => f.i32(ROW_UNROLL - 1).get('rowsLeft').op(OP.i32LtU), () => rowsPass(ROW_UNROLL));
      f.while(() => f.get('rowsLeft'), () => rowsPass(1));
      f.get('xs').get('cols').i32(8).op(OP.i32Mul, OP.i32Add).set('xs');
      f.get('ys').get('cols').i32(8).op(OP.i32Mul, OP.i32Add).set('ys');
      f.addTo('groups', -1);
    },
  );
  return f;
}

/** Export names of the kernels: kind and weight bits. */
const KERNELS = ['sym32', 'fwd32', 'sum32', 'sym64', 'fwd64', 'sum64'] as const;

/** Signature shared by all kernels (see the module header). */
export type BlockKernel = (
  w: number,
  groups: number,
  rows: number,
  cols: number,
  xs: number,
  xd: number,
  ys: number,
  yd: number,
) => void;

/** The kernels bound to one memory. */
export type BlockKernels = Record<(typeof KERNELS)[number], BlockKernel>;

let compiled: WebAssembly.Module | undefined;

/** Instantiates the kernels on `memory` (the module is assembled and compiled once per process). */
export function blockKernels(memory: WebAssembly.Memory): BlockKernels {
  compiled ??= compile(
    KERNELS.map((name) => blockKernel(name, name.endsWith('32') ? 4 : 8, name.slice(0, 3) as KernelKind)),
  );
  return instantiate(compiled, memory) as BlockKernels;
}
