/**
 * Elementwise routines over float32 arrays on the wasm heap, written once for both
 * widths: a 128-bit SIMD loop over groups of four elements, then a scalar loop over the
 * remaining zero to three, so that no routine reads or writes past an array's end.
 *
 * A routine's parameters are byte offsets of its arrays, the element count, then f32
 * constants passed as their bit patterns (`f32Bits`). Its body is emitted against
 * `Lanes`, which pushes and stores either four-element vectors or single elements.
 *
 * Channelwise routines run the same bodies over [rows, C] arrays (channels last) beside
 * [C] arrays of per-channel values: per row, four channels at a time, then the remaining
 * zero to three.
 */
import { F32, FunctionBuilder, I32, OP, SIMD, V128 } from '../../util/wasm-asm.js';

/** The stack-machine vocabulary of an elementwise body, at one width. */
export interface Lanes {
  /** Pushes the element(s) of array `pointer` at the current position. */
  load(pointer: string): void;
  /** Stores at array `pointer`'s current position the value `value` pushes. */
  store(pointer: string, value: () => void): void;
  /** Pushes constant `name`. */
  constant(name: string): void;
  /** Pops a value into temporary `name` (declared on first use). */
  set(name: string): void;
  /** Pushes temporary `name`. */
  get(name: string): void;
  add(): void;
  sub(): void;
  mul(): void;
  div(): void;
  sqrt(): void;
  /** Pushes `value` where `test` is positive, else 0. */
  wherePositive(value: () => void, test: () => void): void;
  /** Replaces the value on the stack by max(value, 0), NaN staying NaN. */
  relu(): void;
}

/** Declares the constants (f32 bit patterns) as scalar and splat locals. */
function declareConstants(f: FunctionBuilder, constants: readonly string[]): void {
  for (const c of constants) {
    f.local(`${c}.s`, F32);
    f.local(`${c}.v`, V128);
    f.get(c).op(OP.f32ReinterpretI32).tee(`${c}.s`).simd(SIMD.f32x4Splat).set(`${c}.v`);
  }
}

/** The `Lanes` of `f` at one width; arrays are addressed at their pointer plus local `off` (bytes). */
function lanesOf(f: FunctionBuilder, vector: boolean): Lanes {
  const suffix = vector ? '.v' : '.s';
  const at = (pointer: string): void => {
    f.get(pointer).get('off').op(OP.i32Add);
  };
  const arith = (v: number, s: number) => () => (vector ? f.simd(v) : f.op(s));
  return {
    load: (pointer) => {
      at(pointer);
      if (vector) f.v128Load();
      else f.f32Load();
    },
    store: (pointer, value) => {
      at(pointer);
      value();
      if (vector) f.v128Store();
      else f.f32Store();
    },
    constant: (c) => f.get(`${c}${suffix}`),
    set: (t) => {
      f.local(`${t}${suffix}`, vector ? V128 : F32);
      f.set(`${t}${suffix}`);
    },
    get: (t) => f.get(`${t}${suffix}`),
    add: arith(SIMD.f32x4Add, OP.f32Add),
    sub: arith(SIMD.f32x4Sub, OP.f32Sub),
    mul: arith(SIMD.f32x4Mul, OP.f32Mul),
    div: arith(SIMD.f32x4Div, OP.f32Div),
    sqrt: arith(SIMD.f32x4Sqrt, OP.f32Sqrt),
    wherePositive: (value, test) => {
      if (vector) {
        value();
        test();
        f.f32(0).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Gt).simd(SIMD.v128And);
      } else {
        value();
        f.f32(0);
        test();
        f.f32(0).op(OP.f32Gt, OP.select);
      }
    },
    relu: () => {
      if (vector) f.f32(0).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Max);
      else f.f32(0).op(OP.f32Max);
    },
  };
}

/**
 * Returns a function `name(...arrays, count, ...constants)` that runs `body` for every
 * element index of the arrays (float32, `count` elements each).
 */
export function elementwiseFunction(name: string, arrays: readonly string[], constants: readonly string[], body: (lanes: Lanes) => void): FunctionBuilder {
  const f = new FunctionBuilder(name, [...arrays, 'count', ...constants]);
  f.local('bytes', I32);
  f.local('vectorBytes', I32);
  f.get('count').i32(2).op(OP.i32Shl).set('bytes');
  f.get('bytes').i32(-16).op(OP.i32And).set('vectorBytes');
  declareConstants(f, constants);
  f.for('off', 0, 'vectorBytes', 16, () => body(lanesOf(f, true)));
  f.for('off', 'vectorBytes', 'bytes', 4, () => body(lanesOf(f, false)));
  return f;
}

/**
 * Returns a function `name(...rowArrays, ...channelArrays, rows, C, ...constants)` that runs
 * `body` for every (row, channel) of [rows, C] float32 `rowArrays`, where `channelArrays`
 * ([C] float32) are loaded and stored at the channel.
 */
export function channelwiseFunction(
  name: string,
  rowArrays: readonly string[],
  channelArrays: readonly string[],
  constants: readonly string[],
  body: (lanes: Lanes) => void,
): FunctionBuilder {
  const f = new FunctionBuilder(name, [...rowArrays, ...channelArrays, 'rows', 'C', ...constants]);
  f.local('rowBytes', I32);
  f.local('vectorBytes', I32);
  f.get('C').i32(2).op(OP.i32Shl).set('rowBytes');
  f.get('rowBytes').i32(-16).op(OP.i32And).set('vectorBytes');
  declareConstants(f, constants);
  f.for('row', 0, 'rows', 1, () => {
    f.for('off', 0, 'vectorBytes', 16, () => body(lanesOf(f, true)));
    f.for('off', 'vectorBytes', 'rowBytes', 4, () => body(lanesOf(f, false)));
    for (const a of rowArrays) f.addTo(a, 'rowBytes');
  });
  return f;
}
