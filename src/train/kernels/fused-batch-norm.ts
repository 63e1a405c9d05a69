/**
 * FusedBatchNorm (per-channel normalisation, channels last) for the wasm backend.
 *
 * Algorithm: per channel c the factor a[c] = scale[c] / sqrt(variance[c] + epsilon) is
 * computed once, then every element becomes (x - mean[c]) * a[c] + offset[c] in one
 * pass, four channels per 128-bit operation. Parameters given per channel (or as one
 * value) take this path; other shapes go to the shipped kernel.
 *
 * Why: a network with batch-norm runs this on every conv output in every step, and the
 * shipped kernel was as slow as the convolution in front of it on a CIFAR ResNet.
 */
import { FusedBatchNorm, type FusedBatchNormAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';
import { FunctionBuilder, I32, OP, SIMD } from '../../util/wasm-asm.js';

/** y[r, c] = (x[r, c] - m[c]) * a[c] + o[c] over `rows` rows of C floats. */
function affineFunction(): FunctionBuilder {
  const f = new FunctionBuilder('affine', ['x', 'y', 'rows', 'C', 'm', 'a', 'o']);
  for (const l of ['rowBytes', 'rowBytes16']) f.local(l, I32);
  f.get('C').i32(2).op(OP.i32Shl).set('rowBytes');
  f.get('rowBytes').i32(-16).op(OP.i32And).set('rowBytes16');
  const at = (base: string): void => {
    f.get(base).get('off').op(OP.i32Add);
  };
  f.for('r', 0, 'rows', 1, () => {
    f.for('off', 0, 'rowBytes16', 16, () => {
      at('y');
      at('x');
      f.v128Load();
      at('m');
      f.v128Load().simd(SIMD.f32x4Sub);
      at('a');
      f.v128Load().simd(SIMD.f32x4Mul);
      at('o');
      f.v128Load().simd(SIMD.f32x4Add).v128Store();
    });
    f.for('off', 'rowBytes16', 'rowBytes', 4, () => {
      at('y');
      at('x');
      f.f32Load();
      at('m');
      f.f32Load().op(OP.f32Sub);
      at('a');
      f.f32Load().op(OP.f32Mul);
      at('o');
      f.f32Load().op(OP.f32Add).f32Store();
    });
    f.addTo('x', 'rowBytes');
    f.addTo('y', 'rowBytes');
  });
  return f;
}

function fusedBatchNorm(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x, mean, variance } = requiredInputs(args.inputs, 'fused-batch-norm', 'x', 'mean', 'variance');
  const { scale, offset } = args.inputs;
  const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
  const C = x.shape[x.shape.length - 1] ?? 1;
  const params = [mean, variance, scale, offset];
  const perChannel = params.every((p) => p === undefined || (p.dtype === 'float32' && [1, C].includes(p.shape.reduce((a, b) => a * b, 1))));
  if (x.dtype !== 'float32' || x.shape.length === 0 || !perChannel) return shippedKernel(FusedBatchNorm)(args);
  const heap = heapOf(args.backend);
  const out = heap.output([...x.shape]);
  const table = heap.scratch('packed', 3 * C * 4);
  const f32 = heap.f32();
  /** Channel c of a parameter given per channel or as one value. */
  const value = (p: TensorInfo | undefined, c: number, fallback: number): number => {
    if (p === undefined) return fallback;
    const at = heap.offset(p) >>> 2;
    return p.shape.reduce((a, b) => a * b, 1) === 1 ? f32[at] : f32[at + c];
  };
  const eps = varianceEpsilon ?? 0.001;
  const [m, a, o] = [table >>> 2, (table >>> 2) + C, (table >>> 2) + 2 * C];
  for (let c = 0; c < C; c++) {
    f32[m + c] = value(mean, c, 0);
    f32[a + c] = value(scale, c, 1) / Math.sqrt(value(variance, c, 1) + eps);
    f32[o + c] = value(offset, c, 0);
  }
  const r = heap.routines<{ affine(...args: number[]): void }>('fused-batch-norm', () => [affineFunction()]);
  const rows = x.shape.reduce((p, s) => p * s, 1) / C;
  r.affine(heap.offset(x), out.at, rows, C, table, table + C * 4, table + 2 * C * 4);
  return out.info;
}

/** FusedBatchNorm on the wasm backend. */
export const fusedBatchNormConfig: KernelConfig = {
  kernelName: FusedBatchNorm,
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm,
};
