/**
 * A minimal WebAssembly binary assembler, shared by the graph-product block kernels and
 * the training kernels' SIMD routines.
 *
 * Why hand-assembled WebAssembly: V8 does not vectorise JavaScript loops, so the hot
 * loops are written as 128-bit SIMD wasm instead. A module assembled here at start-up
 * imports a linear memory owned by its caller, so its routines read and write arrays in
 * place at byte offsets into that memory, and nothing is compiled or downloaded at
 * install time.
 *
 * Only what the kernels use is here: i32 / f32 / f64 / v128 locals, structured control
 * flow, loads and stores, and the integer, float and SIMD opcodes listed in `OP` and
 * `SIMD` (plus relaxed SIMD's fused multiply-add where the engine has it). Every
 * exported function takes i32 parameters and returns nothing.
 */
import { setFlagsFromString } from 'node:v8';

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
type ValueType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Core opcodes. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  f32Gt: 0x5e,
  f32Sqrt: 0x91,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
  f32Max: 0x97,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
  f32ReinterpretI32: 0xbe,
} as const;

/** SIMD opcodes (written after the 0xfd prefix as unsigned LEB128). */
export const SIMD = {
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  i8x16Shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  i32x4ExtractLane: 0x1b,
  i32x4ReplaceLane: 0x1c,
  f32x4ExtractLane: 0x1f,
  f64x2ExtractLane: 0x21,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  v128Bitselect: 0x52,
  v128Load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  i32x4Add: 0xae,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  f32x4RelaxedMadd: 0x105,
} as const;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  while (true) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(name: string): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/**
 * Builds one function body. Parameters are i32 and named; further locals are declared
 * by name with `local`. Emitting methods return `this` so that a stack-machine sequence
 * reads left to right: `f.get('p').i32(4).op(OP.i32Add).set('p')`.
 */
export class FunctionBuilder {
  private readonly names = new Map<string, number>();
  private readonly localTypes: ValueType[] = [];
  private readonly bytes: number[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly string[],
  ) {
    params.forEach((p, i) => this.names.set(p, i));
  }

  /** Declares a local (or returns the existing one); returns its index. */
  local(name: string, type: ValueType): number {
    const existing = this.names.get(name);
    if (existing !== undefined) return existing;
    const index = this.params.length + this.localTypes.length;
    this.names.set(name, index);
    this.localTypes.push(type);
    return index;
  }

  private index(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`wasm-asm: unknown local '${name}' in ${this.name}`);
    return i;
  }

  /** Appends raw opcodes. */
  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }

  /** Appends one SIMD opcode. */
  simd(code: number): this {
    this.bytes.push(0xfd, ...uleb(code));
    return this;
  }

  get(name: string): this {
    return this.op(OP.localGet, ...uleb(this.index(name)));
  }

  set(name: string): this {
    return this.op(OP.localSet, ...uleb(this.index(name)));
  }

  tee(name: string): this {
    return this.op(OP.localTee, ...uleb(this.index(name)));
  }

  i32(value: number): this {
    return this.op(OP.i32Const, ...sleb(value));
  }

  f32(value: number): this {
    const b = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(OP.f32Const, ...b);
  }

  f64(value: number): this {
    const b = new Uint8Array(new Float64Array([value]).buffer);
    return this.op(OP.f64Const, ...b);
  }

  /** Scalar memory access with a constant byte offset (alignment hint: natural). */
  i32Load(offset = 0): this {
    return this.op(OP.i32Load, 2, ...uleb(offset));
  }

  f32Load(offset = 0): this {
    return this.op(OP.f32Load, 2, ...uleb(offset));
  }

  f32Store(offset = 0): this {
    return this.op(OP.f32Store, 2, ...uleb(offset));
  }

  f64Load(offset = 0): this {
    return this.op(OP.f64Load, 3, ...uleb(offset));
  }

  f64Store(offset = 0): this {
    return this.op(OP.f64Store, 3, ...uleb(offset));
  }

  /**
   * SIMD memory access with a constant byte offset. `align` is the log2 alignment hint;
   * the default claims none (a hint only: unaligned access stays correct either way).
   */
  v128Load(offset = 0, align = 0): this {
    return this.simd(SIMD.v128Load).op(align, ...uleb(offset));
  }

  v128Store(offset = 0, align = 0): this {
    return this.simd(SIMD.v128Store).op(align, ...uleb(offset));
  }

  v128Load32Splat(offset = 0): this {
    return this.simd(SIMD.v128Load32Splat).op(2, ...uleb(offset));
  }

  /** Loads 8 bytes into the low half of a vector, zeroing the high half. */
  v128Load64Zero(offset = 0): this {
    return this.simd(SIMD.v128Load64Zero).op(3, ...uleb(offset));
  }

  f32x4ExtractLane(lane: number): this {
    return this.simd(SIMD.f32x4ExtractLane).op(lane);
  }

  f64x2ExtractLane(lane: number): this {
    return this.simd(SIMD.f64x2ExtractLane).op(lane);
  }

  i32x4ExtractLane(lane: number): this {
    return this.simd(SIMD.i32x4ExtractLane).op(lane);
  }

  i32x4ReplaceLane(lane: number): this {
    return this.simd(SIMD.i32x4ReplaceLane).op(lane);
  }

  /** i8x16.shuffle with 32-bit lane indices (0-3 first operand, 4-7 second). */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    const bytes = lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
    return this.simd(SIMD.i8x16Shuffle).op(...bytes);
  }

  /** A zero vector. */
  zero(name: string): this {
    return this.f32(0).simd(SIMD.f32x4Splat).set(name);
  }

  /** `name += delta` on an i32 local (delta a local name or a constant). */
  addTo(name: string, delta: string | number): this {
    this.get(name);
    if (typeof delta === 'number') this.i32(delta);
    else this.get(delta);
    return this.op(OP.i32Add).set(name);
  }

  /**
   * `acc = acc + a * b` on v128 locals: one relaxed fused multiply-add when `fused`
   * (see `hasRelaxedSimd`), else a multiply and an add.
   */
  fma4(acc: string, a: string, b: string, fused: boolean): this {
    if (fused) return this.get(a).get(b).get(acc).simd(SIMD.f32x4RelaxedMadd).set(acc);
    return this.get(acc).get(a).get(b).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(acc);
  }

  /** `block ... end`; `br 0` inside jumps past the end. */
  block(body: () => void): this {
    this.op(OP.block, 0x40);
    body();
    return this.op(OP.end);
  }

  /** `loop ... end`; `br 0` inside jumps back to the start. */
  loop(body: () => void): this {
    this.op(OP.loop, 0x40);
    body();
    return this.op(OP.end);
  }

  /** Pops an i32 condition: `if ... (else ...) end`. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(OP.if, 0x40);
    then();
    if (otherwise) {
      this.op(OP.else);
      otherwise();
    }
    return this.op(OP.end);
  }

  /**
   * `for (name = from; name < to; name += step) body()` over i32 locals or constants;
   * the body runs zero times when `from >= to` (signed comparison).
   */
  for(name: string, from: string | number, to: string, step: string | number, body: () => void): this {
    this.local(name, I32);
    if (typeof from === 'number') this.i32(from);
    else this.get(from);
    this.set(name);
    return this.block(() => {
      this.get(name).get(to).op(OP.i32GeS, OP.brIf, 0);
      this.loop(() => {
        body();
        this.addTo(name, step);
        this.get(name).get(to).op(OP.i32LtS, OP.brIf, 0);
      });
    });
  }

  /** `while (condition) body()`, with `condition` leaving an i32 on the stack. */
  while(condition: () => void, body: () => void): this {
    return this.block(() =>
      this.loop(() => {
        condition();
        this.op(OP.i32Eqz, OP.brIf, 1);
        body();
        this.op(OP.br, 0);
      }),
    );
  }

  /** The encoded body (locals vector + code + end). */
  encode(): number[] {
    const groups: number[][] = this.localTypes.map((t) => [1, t]);
    const body = [...vector(groups), ...this.bytes, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/**
 * Returns the binary of a module that imports `env.memory` (any size) and exports
 * `functions` under their names.
 */
function encode(functions: readonly FunctionBuilder[]): Uint8Array<ArrayBuffer> {
  // All parameters are i32, so a signature is its arity: one type per distinct arity.
  const arities = [...new Set(functions.map((f) => f.params.length))];
  const types = arities.map((n) => [0x60, ...uleb(n), ...new Array<number>(n).fill(I32), 0]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vector(functions.map((f) => uleb(arities.indexOf(f.params.length))))),
    ...section(7, vector(functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.encode()))),
  ]);
}

let relaxed: boolean | undefined;

/**
 * Returns whether this engine compiles the relaxed-SIMD fused multiply-add. Node 22+
 * ships relaxed SIMD; Node 20's V8 has it behind a flag, which is switched on here (it
 * only admits the relaxed opcodes in modules compiled from now on). Where it is missing
 * callers keep separate multiplies and adds.
 */
export function hasRelaxedSimd(): boolean {
  if (relaxed === undefined) {
    const probe = new FunctionBuilder('probe', []);
    probe.local('v', V128);
    probe.get('v').get('v').get('v').simd(SIMD.f32x4RelaxedMadd).set('v');
    const bytes = encode([probe]);
    if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxed = WebAssembly.validate(bytes);
  }
  return relaxed;
}

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

/**
 * Returns the bit pattern of `value` rounded to float32: the i32 parameter that passes
 * an f32 to a routine, which reads it back with `f32.reinterpret_i32`.
 */
export function f32Bits(value: number): number {
  bitsF32[0] = value;
  return bitsI32[0];
}

/** The exports of an assembled module: each function by name. */
export type AssembledExports = Record<string, (...args: number[]) => void>;

/**
 * Compiles a module that imports `env.memory` and exports the given functions under
 * their names, for instantiating on several memories with `instantiate`. Compilation
 * is synchronous (the modules are a few kilobytes).
 */
export function compile(functions: readonly FunctionBuilder[]): WebAssembly.Module {
  return new WebAssembly.Module(encode(functions));
}

/** Instantiates a module from `compile` on `memory`; returns its exports. */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): AssembledExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as AssembledExports;
}

/** Compiles the given functions (see `compile`) and instantiates them on `memory`. */
export function assemble(memory: WebAssembly.Memory, functions: readonly FunctionBuilder[]): AssembledExports {
  return instantiate(compile(functions), memory);
}
