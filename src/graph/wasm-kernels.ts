/**
 * WebAssembly SIMD kernels for products with a chain of dense weight blocks.
 *
 * Why WebAssembly: V8 does not vectorise JavaScript loops. A 128-bit SIMD kernel that
 * streams four weight rows per pass runs a symmetric block product about 5x faster than
 * the best scalar JavaScript loop over the same typed arrays, which is what brings a
 * product within reach of the memory-bandwidth limit. The module is assembled below from
 * a few dozen opcodes (WebAssembly core spec 2.0 + fixed-width SIMD), so nothing is
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

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** Core opcodes used by the kernels. */
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
const SIMD = {
  v128Load: 0x00,
  v128Store: 0x0b,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  v128Load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
} as const;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  return vector([...text].map((c) => [c.charCodeAt(0)]));
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

/** Emits one function body; locals are numbered after the parameters. */
class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(private readonly paramCount: number) {}

  local(type: number): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.emit(OP.localGet, ...uleb(index));
  }

  set(index: number): this {
    return this.emit(OP.localSet, ...uleb(index));
  }

  i32(value: number): this {
    return this.emit(OP.i32Const, ...sleb(value));
  }

  simd(op: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...uleb(op), ...immediates);
  }

  /** `index += delta` for an i32 local. */
  addTo(index: number, delta: number): this {
    return this.get(index).i32(delta).emit(OP.i32Add).set(index);
  }

  /** `while (condition) body`, with `condition` leaving an i32 on the stack. */
  whileLoop(condition: () => void, body: () => void): this {
    this.emit(OP.block, 0x40, OP.loop, 0x40);
    condition();
    this.emit(OP.i32Eqz, OP.brIf, 1);
    body();
    return this.emit(OP.br, 0, OP.end, OP.end);
  }

  /** The encoded body: local declarations then code. */
  encode(): number[] {
    const declarations = vector(this.localTypes.map((t) => [1, t]));
    const body = [...declarations, ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** Rows streamed together by the main loop: shares each x/y vector load between four weight rows. */
const ROW_UNROLL = 4;

/** What a kernel computes (see the module header). */
type KernelKind = 'sym' | 'fwd' | 'sum';

/**
 * Assembles one block kernel.
 * `weightBytes`: 4 (float32 weights, widened to float64) or 8.
 */
function blockKernel(weightBytes: 4 | 8, kind: KernelKind): number[] {
  const transpose = kind !== 'fwd';
  const multiply = kind !== 'sum';
  const f = new FunctionBuilder(8);
  const [w, groups, rows, cols, xs, xd, ys, yd] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rowBytes = f.local(I32);
  const rowsLeft = f.local(I32);
  const colsLeft = f.local(I32);
  const xp = f.local(I32);
  const yp = f.local(I32);
  const wp = Array.from({ length: ROW_UNROLL }, () => f.local(I32));
  const acc = Array.from({ length: ROW_UNROLL }, () => f.local(V128));
  const tail = Array.from({ length: ROW_UNROLL }, () => f.local(F64));
  const xi = Array.from({ length: ROW_UNROLL }, () => f.local(F64));
  const xiv = Array.from({ length: ROW_UNROLL }, () => f.local(V128));
  const v = Array.from({ length: ROW_UNROLL }, () => f.local(V128));
  const align = weightBytes === 4 ? 2 : 3;

  /** Pushes W[i, j..j+1] of row r as f64x2. */
  const loadPair = (r: number): void => {
    f.get(wp[r]);
    if (weightBytes === 4) f.simd(SIMD.v128Load64Zero, 3, 0).simd(SIMD.f64x2PromoteLowF32x4);
    else f.simd(SIMD.v128Load, 3, 0);
  };
  /** Pushes W[i, j] of row r as f64. */
  const loadOne = (r: number): void => {
    f.get(wp[r]);
    if (weightBytes === 4) f.emit(OP.f32Load, align, 0, OP.f64PromoteF32);
    else f.emit(OP.f64Load, align, 0);
  };

  /** Processes `unroll` rows starting at the current xd/yd/w pointers, then advances them. */
  const rowsPass = (unroll: number): void => {
    for (let r = 0; r < unroll; r++) {
      if (r === 0) f.get(w).set(wp[0]);
      else f.get(wp[r - 1]).get(rowBytes).emit(OP.i32Add).set(wp[r]);
      f.emit(OP.f64Const, 0, 0, 0, 0, 0, 0, 0, 0).simd(SIMD.f64x2Splat).set(acc[r]);
      f.emit(OP.f64Const, 0, 0, 0, 0, 0, 0, 0, 0).set(tail[r]);
      if (transpose && multiply) {
        f.get(xd).emit(OP.f64Load, 3, ...uleb(8 * r)).set(xi[r]);
        f.get(xi[r]).simd(SIMD.f64x2Splat).set(xiv[r]);
      }
    }
    f.get(xs).set(xp).get(ys).set(yp).get(cols).set(colsLeft);
    f.whileLoop(
      () => f.i32(1).get(colsLeft).emit(OP.i32LtU),
      () => {
        for (let r = 0; r < unroll; r++) {
          loadPair(r);
          f.set(v[r]);
          f.get(acc[r]).get(v[r]);
          if (multiply) f.get(xp).simd(SIMD.v128Load, 3, 0).simd(SIMD.f64x2Mul);
          f.simd(SIMD.f64x2Add).set(acc[r]);
          f.addTo(wp[r], 2 * weightBytes);
        }
        if (transpose) {
          // y[j..j+1] += sum over rows of W[r, j..j+1] * x[r], summed as a tree: a short dependency chain.
          f.get(yp).get(yp).simd(SIMD.v128Load, 3, 0);
          for (let r = 0; r < unroll; r++) {
            f.get(v[r]);
            if (multiply) f.get(xiv[r]).simd(SIMD.f64x2Mul);
            if (r % 2 === 1) f.simd(SIMD.f64x2Add);
          }
          for (let partial = 0; partial < Math.ceil(unroll / 2); partial++) f.simd(SIMD.f64x2Add);
          f.simd(SIMD.v128Store, 3, 0);
          f.addTo(yp, 16);
        }
        if (multiply) f.addTo(xp, 16);
        f.addTo(colsLeft, -2);
      },
    );
    // Odd column count: one scalar column left.
    f.get(colsLeft).emit(OP.if, 0x40);
    for (let r = 0; r < unroll; r++) {
      loadOne(r);
      if (multiply) f.get(xp).emit(OP.f64Load, 3, 0, OP.f64Mul);
      f.set(tail[r]);
    }
    if (transpose) {
      f.get(yp).get(yp).emit(OP.f64Load, 3, 0);
      for (let r = 0; r < unroll; r++) {
        loadOne(r);
        if (multiply) f.get(xi[r]).emit(OP.f64Mul);
        f.emit(OP.f64Add);
      }
      f.emit(OP.f64Store, 3, 0);
    }
    f.emit(OP.end);
    for (let r = 0; r < unroll; r++) {
      const offset = uleb(8 * r);
      f.get(yd).get(yd).emit(OP.f64Load, 3, ...offset);
      f.get(acc[r]).simd(SIMD.f64x2ExtractLane, 0).get(acc[r]).simd(SIMD.f64x2ExtractLane, 1).emit(OP.f64Add);
      f.get(tail[r]).emit(OP.f64Add, OP.f64Add, OP.f64Store, 3, ...offset);
    }
    f.get(w).get(rowBytes).i32(unroll).emit(OP.i32Mul, OP.i32Add).set(w);
    f.addTo(xd, 8 * unroll).addTo(yd, 8 * unroll).addTo(rowsLeft, -unroll);
  };

  f.get(cols).i32(weightBytes).emit(OP.i32Mul).set(rowBytes);
  f.whileLoop(
    () => f.get(groups),
    () => {
      f.get(rows).set(rowsLeft);
      f.whileLoop(() => f.i32(ROW_UNROLL - 1).get(rowsLeft).emit(OP.i32LtU), () => rowsPass(ROW_UNROLL));
      f.whileLoop(() => f.get(rowsLeft), () => rowsPass(1));
      f.get(xs).get(cols).i32(8).emit(OP.i32Mul, OP.i32Add).set(xs);
      f.get(ys).get(cols).i32(8).emit(OP.i32Mul, OP.i32Add).set(ys);
      f.addTo(groups, -1);
    },
  );
  return f.encode();
}

/** Export names of the kernels, in function-index order: kind and weight bits. */
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

function assembleModule(): Uint8Array<ArrayBuffer> {
  const signature = [0x60, ...vector(Array.from({ length: 8 }, () => [I32])), 0];
  const bodies = KERNELS.map((name) => blockKernel(name.endsWith('32') ? 4 : 8, name.slice(0, 3) as KernelKind));
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([signature])),
    // import "env" "memory": a memory with at least 0 pages
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vector(bodies.map(() => [0]))),
    ...section(7, vector(KERNELS.map((kernel, index) => [...name(kernel), 0x00, ...uleb(index)]))),
    ...section(10, vector(bodies)),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | undefined;

/** Instantiates the kernels on `memory` (the module is assembled and compiled once per process). */
export function blockKernels(memory: WebAssembly.Memory): BlockKernels {
  compiled ??= new WebAssembly.Module(assembleModule());
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return instance.exports as unknown as BlockKernels;
}
