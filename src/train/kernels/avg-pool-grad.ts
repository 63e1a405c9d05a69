/**
 * AvgPoolGrad (NHWC) for the wasm backend as a window scatter.
 *
 * Algorithm: for every output position, dy / (window height * width) is added to each
 * input element of its window (clipped to the input, the divisor counting the whole
 * window as the cpu backend does), four channels per 128-bit operation. That is one
 * pass over the windows, where the shipped kernel gathers for every input element by
 * testing every window offset.
 */
import { AvgPoolGrad, type AvgPoolGradAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf } from './heap.js';
import { emitPoolWindows, POOL_PARAMS, poolArgs, poolInfo } from './pool-window.js';
import { requiredInputs, shippedKernel } from './shipped.js';
import { f32Bits, F32, FunctionBuilder, I32, OP, SIMD, V128 } from '../../util/wasm-asm.js';

function avgPoolGradFunction(): FunctionBuilder {
  const f = new FunctionBuilder('avgPoolGrad', ['dy', 'dx', 'scaleBits', ...POOL_PARAMS]);
  for (const l of ['dxb', 'pixel']) f.local(l, I32);
  f.local('scale', F32);
  f.local('scale4', V128);
  f.get('scaleBits').op(OP.f32ReinterpretI32).set('scale');
  f.get('scale').simd(SIMD.f32x4Splat).set('scale4');
  f.get('dx').set('dxb');
  /** Pushes the byte address of dx at the current pixel and channel d. */
  const at = (): void => {
    f.get('pixel').get('d').i32(2).op(OP.i32Shl, OP.i32Add);
  };
  emitPoolWindows(f, 'dxb', () => {
    f.for('xr', 'rlo', 'rhi', 1, () => {
      f.for('xc', 'clo', 'chi', 1, () => {
        f.get('dxb').get('xr').get('rowBytes').op(OP.i32Mul, OP.i32Add);
        f.get('xc').get('C').op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add).set('pixel');
        f.for('d', 0, 'C4', 4, () => {
          at();
          at();
          f.v128Load();
          f.get('dy').get('d').i32(2).op(OP.i32Shl, OP.i32Add).v128Load();
          f.get('scale4').simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).v128Store();
        });
        f.for('d', 'C4', 'C', 1, () => {
          at();
          at();
          f.f32Load();
          f.get('dy').get('d').i32(2).op(OP.i32Shl, OP.i32Add).f32Load();
          f.get('scale').op(OP.f32Mul, OP.f32Add).f32Store();
        });
      });
    });
    f.get('dy').get('C').i32(2).op(OP.i32Shl, OP.i32Add).set('dy');
  });
  return f;
}

function avgPoolGrad(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { dy, input } = requiredInputs(args.inputs, 'avg-pool-grad', 'dy', 'input');
  if (dy.dtype !== 'float32') return shippedKernel(AvgPoolGrad)(args);
  const info = poolInfo(input.shape, args.attrs as unknown as AvgPoolGradAttrs);
  const heap = heapOf(args.backend);
  const r = heap.routines<{ avgPoolGrad(...args: number[]): void }>('avg-pool-grad', () => [avgPoolGradFunction()]);
  const out = heap.output([...input.shape]);
  heap.f32().fill(0, out.at >>> 2, (out.at >>> 2) + input.shape.reduce((a, b) => a * b, 1));
  r.avgPoolGrad(heap.offset(dy), out.at, f32Bits(1 / (info.filterHeight * info.filterWidth)), ...poolArgs(info));
  return out.info;
}

/** AvgPoolGrad on the wasm backend. */
export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGrad,
};
