/**
 * Add, Sub, Multiply and RealDiv (float32, with broadcasting) for the wasm backend: one
 * broadcast-binary kernel registered under the four names.
 *
 * Algorithm: the two shapes are aligned to the output shape, size-1 output dimensions
 * are dropped and neighbouring dimensions merged while both operands keep the same
 * broadcast pattern. Up to three merged dimensions remain (a bias add on [N, H, W, C]
 * becomes [N*H*W, C] with the bias repeated along the first), and the innermost one is
 * processed four floats at a time, with a broadcast operand held in a splat register.
 * Rows shorter than a few vectors that repeat one operand (a bias over 6 channels) run
 * as periods of lcm(C, 4) floats against the repeated row laid out periodically.
 *
 * Why: a training step runs these on every activation and every weight (the bias
 * gradient path, the ReLU mask, the optimizer's scaled updates); the shipped kernels
 * handle broadcasting element by element, which made a conv layer's bias add as slow
 * as the convolution. Patterns that do not merge into three dimensions, and other
 * dtypes, go to the shipped kernels.
 */
import {
  Add,
  broadcast_util,
  Multiply,
  RealDiv,
  Sub,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapOf, type WasmHeap } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';
import { FunctionBuilder, I32, OP, SIMD, V128 } from '../../util/wasm-asm.js';

const OPS = {
  add: { vector: SIMD.f32x4Add, scalar: OP.f32Add },
  sub: { vector: SIMD.f32x4Sub, scalar: OP.f32Sub },
  mul: { vector: SIMD.f32x4Mul, scalar: OP.f32Mul },
  div: { vector: SIMD.f32x4Div, scalar: OP.f32Div },
} as const;
type OpName = keyof typeof OPS;

/**
 * out[i0, i1, i2] = a[...] op b[...] over D0 x D1 x D2 with byte strides (a0, a1),
 * (b0, b1) for the outer dimensions; along the innermost one an operand is contiguous
 * when its flag (aInner, bInner) is 1 and repeated when 0.
 */
function binaryFunction(name: OpName): FunctionBuilder {
  const { vector, scalar } = OPS[name];
  const f = new FunctionBuilder(name, ['a', 'b', 'out', 'D0', 'D1', 'D2', 'a0', 'a1', 'b0', 'b1', 'aInner', 'bInner']);
  for (const l of ['pa0', 'pb0', 'pa', 'pb', 'rowBytes', 'rowBytes16']) f.local(l, I32);
  f.local('splat', V128);
  f.get('D2').i32(2).op(OP.i32Shl).set('rowBytes');
  f.get('rowBytes').i32(-16).op(OP.i32And).set('rowBytes16');

  const at = (pointer: string): void => {
    f.get(pointer).get('off').op(OP.i32Add);
  };
  /** One row: both contiguous, only a contiguous (b repeated) or only b contiguous. */
  const row = (aContiguous: boolean, bContiguous: boolean): void => {
    if (!aContiguous) f.get('pa').v128Load32Splat().set('splat');
    if (!bContiguous) f.get('pb').v128Load32Splat().set('splat');
    f.for('off', 0, 'rowBytes16', 16, () => {
      at('out');
      if (aContiguous) at('pa');
      else f.get('splat');
      if (aContiguous) f.v128Load();
      if (bContiguous) at('pb');
      else f.get('splat');
      if (bContiguous) f.v128Load();
      f.simd(vector).v128Store();
    });
    f.for('off', 'rowBytes16', 'rowBytes', 4, () => {
      at('out');
      if (aContiguous) at('pa');
      else f.get('pa');
      f.f32Load();
      if (bContiguous) at('pb');
      else f.get('pb');
      f.f32Load();
      f.op(scalar).f32Store();
    });
  };
  f.get('a').set('pa0');
  f.get('b').set('pb0');
  f.for('i0', 0, 'D0', 1, () => {
    f.get('pa0').set('pa');
    f.get('pb0').set('pb');
    f.for('i1', 0, 'D1', 1, () => {
      f.get('aInner').get('bInner').op(OP.i32And);
      f.if(
        () => row(true, true),
        () => f.get('aInner').if(() => row(true, false), () => row(false, true)),
      );
      f.addTo('out', 'rowBytes');
      f.addTo('pa', 'a1');
      f.addTo('pb', 'b1');
    });
    f.addTo('pa0', 'a0');
    f.addTo('pb0', 'b0');
  });
  return f;
}

type BinaryRoutines = Record<OpName, (...args: number[]) => void>;
function routinesOf(heap: WasmHeap): BinaryRoutines {
  return heap.routines<BinaryRoutines>('binary-ops', () => (Object.keys(OPS) as OpName[]).map(binaryFunction));
}

/** The merged loop nest of a broadcast: sizes and element strides (0 = repeated). */
interface Plan {
  outShape: number[];
  sizes: [number, number, number];
  a: [number, number, number];
  b: [number, number, number];
}

/** Returns the loop nest of `a op b`, or undefined when it needs more than three dimensions. */
function broadcastPlan(aShape: number[], bShape: number[]): Plan | undefined {
  const outShape = broadcast_util.assertAndGetBroadcastShape(aShape, bShape);
  const rank = outShape.length;
  const pad = (s: number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(aShape);
  const pb = pad(bShape);
  const dims: Array<{ size: number; aReal: boolean; bReal: boolean }> = [];
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    const aReal = pa[d] !== 1;
    const bReal = pb[d] !== 1;
    const last = dims[dims.length - 1];
    if (last !== undefined && last.aReal === aReal && last.bReal === bReal) last.size *= outShape[d];
    else dims.push({ size: outShape[d], aReal, bReal });
  }
  if (dims.length > 3) return undefined;
  while (dims.length < 3) dims.unshift({ size: 1, aReal: false, bReal: false });
  const strides = (real: (d: (typeof dims)[number]) => boolean): [number, number, number] => {
    const out: [number, number, number] = [0, 0, 0];
    let stride = 1;
    for (let d = 2; d >= 0; d--) {
      if (real(dims[d])) {
        out[d] = stride;
        stride *= dims[d].size;
      }
    }
    return out;
  };
  return {
    outShape,
    sizes: [dims[0].size, dims[1].size, dims[2].size],
    a: strides((d) => d.aReal),
    b: strides((d) => d.bReal),
  };
}

function binaryKernel(kernelName: string, op: OpName): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const { a, b } = requiredInputs(args.inputs, 'binary-ops', 'a', 'b');
    const plan = a.dtype === 'float32' && b.dtype === 'float32' ? broadcastPlan(a.shape, b.shape) : undefined;
    if (plan === undefined) return shippedKernel(kernelName)(args);
    const heap = heapOf(args.backend);
    const out = heap.output(plan.outShape);
    if (util.sizeFromShape(plan.outShape) === 0) return out.info;
    const run = routinesOf(heap)[op];
    const [D0, D1, D2] = plan.sizes;
    let [aAt, bAt, outAt, rows] = [heap.offset(a), heap.offset(b), out.at, D1];
    const aRepeated = plan.a[1] === 0 && plan.a[2] === 1 && plan.b[1] === D2 && plan.b[2] === 1;
    const bRepeated = plan.b[1] === 0 && plan.b[2] === 1 && plan.a[1] === D2 && plan.a[2] === 1;
    if (D0 === 1 && D2 % 4 !== 0 && D2 < 64 && (aRepeated || bRepeated)) {
      // Short rows (a bias over few channels): run over whole periods of lcm(D2, 4) floats
      // against the repeated row laid out periodically, so every step is a full vector.
      const period = D2 % 2 === 0 ? 2 * D2 : 4 * D2;
      const perPeriod = period / D2;
      const periods = Math.floor(D1 / perPeriod);
      const pattern = heap.scratch('packed', period * 4);
      const f32 = heap.f32();
      const repeated = (aRepeated ? aAt : bAt) >>> 2;
      for (let j = 0; j < period; j++) f32[(pattern >>> 2) + j] = f32[repeated + (j % D2)];
      const [pa, pb] = aRepeated ? [pattern, bAt] : [aAt, pattern];
      const [sa, sb] = aRepeated ? [0, period * 4] : [period * 4, 0];
      run(pa, pb, outAt, 1, periods, period, 0, sa, 0, sb, 1, 1);
      const done = periods * perPeriod * D2 * 4;
      if (aRepeated) bAt += done;
      else aAt += done;
      outAt += done;
      rows = D1 - periods * perPeriod;
    }
    run(aAt, bAt, outAt, D0, rows, D2, plan.a[0] * 4, plan.a[1] * 4, plan.b[0] * 4, plan.b[1] * 4, plan.a[2] === 0 ? 0 : 1, plan.b[2] === 0 ? 0 : 1);
    return out.info;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** Add on the wasm backend. */
export const addConfig = binaryKernel(Add, 'add');
/** Sub on the wasm backend. */
export const subConfig = binaryKernel(Sub, 'sub');
/** Multiply on the wasm backend. */
export const multiplyConfig = binaryKernel(Multiply, 'mul');
/** RealDiv on the wasm backend. */
export const realDivConfig = binaryKernel(RealDiv, 'div');
