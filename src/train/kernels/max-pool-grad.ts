/**
 * MaxPoolGrad (NHWC) for the wasm backend as an argmax scatter.
 *
 * Algorithm: for every output position, scan its window in row-major order keeping the
 * first strictly largest input (as the cpu backend does; windows are clipped to the
 * input, so padding never wins), then add dy at that input position. Four channels are
 * scanned at once: a v128 compare selects both the running maxima and their byte
 * addresses; the remaining channels run the same scan on scalars. The cost is one pass
 * over each window, instead of the shipped kernel's gather that visits every
 * (input, window offset) pair and recomputes the argmax for each.
 */
import {
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapOf } from './heap.js';
import { emitPoolWindows, POOL_PARAMS, poolArgs, poolInfo } from './pool-window.js';
import { requiredInputs, shippedKernel } from './shipped.js';
import { F32, FunctionBuilder, I32, OP, SIMD, V128 } from '../../util/wasm-asm.js';

function maxPoolGradFunction(): FunctionBuilder {
  const f = new FunctionBuilder('maxPoolGrad', ['x', 'dy', 'dx', ...POOL_PARAMS]);
  for (const l of ['xb', 'delta', 'addr', 'best', 'target']) f.local(l, I32);
  f.local('bestValue', F32);
  f.local('value', F32);
  for (const l of ['vmax', 'vaddr', 'v', 'mask', 'lanes', 'minusInf', 'none']) f.local(l, V128);

  f.get('dx').get('x').op(OP.i32Sub).set('delta');
  f.f32(-Infinity).simd(SIMD.f32x4Splat).set('minusInf');
  f.i32(-1).simd(SIMD.i32x4Splat).set('none');
  f.i32(0).simd(SIMD.i32x4Splat).i32(4).i32x4ReplaceLane(1).i32(8).i32x4ReplaceLane(2).i32(12).i32x4ReplaceLane(3).set('lanes');

  /** Pushes the byte address of x[b, xr, xc, d] (b via xb). */
  const address = (): void => {
    f.get('xb').get('xr').get('rowBytes').op(OP.i32Mul, OP.i32Add);
    f.get('xc').get('C').op(OP.i32Mul).get('d').op(OP.i32Add).i32(2).op(OP.i32Shl, OP.i32Add);
  };
  /** dx at byte address `target` + delta += f32 at dy. */
  const scatter = (dyOffset: number): void => {
    f.get('target').get('delta').op(OP.i32Add);
    f.get('target').get('delta').op(OP.i32Add).f32Load();
    f.get('dy').f32Load(dyOffset).op(OP.f32Add).f32Store();
  };

  f.get('x').set('xb');
  emitPoolWindows(f, 'xb', () => {
    f.for('d', 0, 'C4', 4, () => {
      f.get('minusInf').set('vmax');
      f.get('none').set('vaddr');
      f.for('xr', 'rlo', 'rhi', 1, () => {
        f.for('xc', 'clo', 'chi', 1, () => {
          address();
          f.tee('addr').v128Load().set('v');
          f.get('v').get('vmax').simd(SIMD.f32x4Gt).set('mask');
          f.get('v').get('vmax').get('mask').simd(SIMD.v128Bitselect).set('vmax');
          f.get('addr').simd(SIMD.i32x4Splat).get('lanes').simd(SIMD.i32x4Add);
          f.get('vaddr').get('mask').simd(SIMD.v128Bitselect).set('vaddr');
        });
      });
      for (let lane = 0; lane < 4; lane++) {
        f.get('vaddr').i32x4ExtractLane(lane).tee('target').i32(-1).op(OP.i32Ne);
        f.if(() => scatter(lane * 4));
      }
      f.addTo('dy', 16);
    });
    f.for('d', 'C4', 'C', 1, () => {
      f.f32(-Infinity).set('bestValue');
      f.i32(-1).set('best');
      f.for('xr', 'rlo', 'rhi', 1, () => {
        f.for('xc', 'clo', 'chi', 1, () => {
          address();
          f.tee('addr').f32Load().tee('value').get('bestValue').op(OP.f32Gt);
          f.if(() => {
            f.get('value').set('bestValue');
            f.get('addr').set('best');
          });
        });
      });
      f.get('best').tee('target').i32(-1).op(OP.i32Ne);
      f.if(() => scatter(0));
      f.addTo('dy', 4);
    });
  });
  return f;
}

function maxPoolGrad(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { dy, input } = requiredInputs(args.inputs, 'max-pool-grad', 'dy', 'input');
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') return shippedKernel(MaxPoolGrad)(args);
  const info = poolInfo(input.shape, args.attrs as unknown as MaxPoolGradAttrs);
  const heap = heapOf(args.backend);
  const r = heap.routines<{ maxPoolGrad(...args: number[]): void }>('max-pool-grad', () => [maxPoolGradFunction()]);
  const out = heap.output([...input.shape]);
  heap.f32().fill(0, out.at >>> 2, (out.at >>> 2) + out.info.shape.reduce((a, b) => a * b, 1));
  r.maxPoolGrad(heap.offset(input), heap.offset(dy), out.at, ...poolArgs(info));
  return out.info;
}

/** MaxPoolGrad on the wasm backend. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
