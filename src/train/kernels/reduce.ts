/**
 * Sum and Mean (float32) over any axes that merge into one block, for the wasm backend.
 *
 * Algorithm: kept and reduced dimensions are merged into [D0 kept, D1 reduced, D2 kept]
 * (size-1 dimensions dropped). With D2 > 1, rows of D2 floats are added into the output
 * row four floats at a time, in input order; with D2 = 1 each run of D1 floats is
 * summed in four lanes and the lanes added at the end; rows of a few floats (a bias
 * over 6 channels) are summed a whole number of rows at a time as vectors. Mean divides
 * the sums.
 *
 * Why: the shipped kernels reduce only trailing axes and transpose the input first
 * otherwise, and the gradient of every bias sums over the leading (batch and spatial)
 * axes, as does batch-norm's and global average pooling's. Axes that do not merge into
 * one block, and other dtypes, go to the shipped kernels.
 */
import { Mean, Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';
import { F32, FunctionBuilder, I32, OP, SIMD, V128 } from '../../util/wasm-asm.js';

/** out[i0, i2] = sum over i1 of x[i0, i1, i2]. */
function reduceFunction(): FunctionBuilder {
  const f = new FunctionBuilder('reduce', ['x', 'out', 'D0', 'D1', 'D2']);
  for (const l of ['rowBytes', 'rowBytes16', 'D1x4', 'p']) f.local(l, I32);
  f.local('acc', V128);
  f.local('sum', F32);
  f.get('D2').i32(2).op(OP.i32Shl).set('rowBytes');
  f.get('rowBytes').i32(-16).op(OP.i32And).set('rowBytes16');
  f.get('D1').i32(-4).op(OP.i32And).set('D1x4');
  const at = (pointer: string): void => {
    f.get(pointer).get('off').op(OP.i32Add);
  };
  f.get('D2').i32(1).op(OP.i32Eq);
  f.if(
    () => {
      // Reduce contiguous runs of D1 floats.
      f.for('i0', 0, 'D0', 1, () => {
        f.zero('acc');
        f.for('i1', 0, 'D1x4', 4, () => {
          f.get('acc').get('x').v128Load().simd(SIMD.f32x4Add).set('acc');
          f.addTo('x', 16);
        });
        f.get('acc').get('acc').get('acc').shuffle32([2, 3, 0, 1]).simd(SIMD.f32x4Add).set('acc');
        f.get('acc').get('acc').get('acc').shuffle32([1, 0, 3, 2]).simd(SIMD.f32x4Add).f32x4ExtractLane(0).set('sum');
        f.for('i1', 'D1x4', 'D1', 1, () => {
          f.get('sum').get('x').f32Load().op(OP.f32Add).set('sum');
          f.addTo('x', 4);
        });
        f.get('out').get('sum').f32Store();
        f.addTo('out', 4);
      });
    },
    () => {
      // Add D1 rows of D2 floats into each output row.
      f.for('i0', 0, 'D0', 1, () => {
        f.for('off', 0, 'rowBytes16', 16, () => {
          at('out');
          f.zero('acc');
          f.get('x').set('p');
          f.for('i1', 0, 'D1', 1, () => {
            f.get('acc').get('p').get('off').op(OP.i32Add).v128Load().simd(SIMD.f32x4Add).set('acc');
            f.addTo('p', 'rowBytes');
          });
          f.get('acc').v128Store();
        });
        f.for('off', 'rowBytes16', 'rowBytes', 4, () => {
          at('out');
          f.f32(0).set('sum');
          f.get('x').set('p');
          f.for('i1', 0, 'D1', 1, () => {
            f.get('sum').get('p').get('off').op(OP.i32Add).f32Load().op(OP.f32Add).set('sum');
            f.addTo('p', 'rowBytes');
          });
          f.get('sum').f32Store();
        });
        f.get('x').get('rowBytes').get('D1').op(OP.i32Mul, OP.i32Add).set('x');
        f.addTo('out', 'rowBytes');
      });
    },
  );
  return f;
}

/** Returns [D0, D1, D2] of a reduction over `axes`, or undefined when the axes do not form one block. */
function reducePlan(shape: number[], axes: number[]): [number, number, number] | undefined {
  const dims: Array<{ size: number; reduced: boolean }> = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const reduced = axes.includes(d);
    const last = dims[dims.length - 1];
    if (last !== undefined && last.reduced === reduced) last.size *= size;
    else dims.push({ size, reduced });
  });
  const first = dims.findIndex((d) => d.reduced);
  if (first === -1) return [util.sizeFromShape(shape), 1, 1];
  if (dims.slice(first + 1).some((d) => d.reduced)) return undefined;
  const before = dims.slice(0, first).reduce((p, d) => p * d.size, 1);
  const after = dims.slice(first + 1).reduce((p, d) => p * d.size, 1);
  return [before, dims[first].size, after];
}

function reduceKernel(kernelName: string, mean: boolean): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const { x } = requiredInputs(args.inputs, 'reduce', 'x');
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x.shape);
    const plan = x.dtype === 'float32' ? reducePlan(x.shape, axes) : undefined;
    if (plan === undefined || util.sizeFromShape(x.shape) === 0) return shippedKernel(kernelName)(args);
    const heap = heapOf(args.backend);
    const outShape = keepDims ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s)) : x.shape.filter((_, d) => !axes.includes(d));
    const out = heap.output(outShape);
    const r = heap.routines<{ reduce(...args: number[]): void }>('reduce', () => [reduceFunction()]);
    const [D0, D1, D2] = plan;
    const perPeriod = D2 % 2 === 0 ? 2 : 4;
    if (D0 === 1 && D2 % 4 !== 0 && D2 < 64 && D1 >= 4 * perPeriod) {
      // Short rows (a bias gradient over few channels): sum whole periods of
      // lcm(D2, 4) floats as vectors, then fold the period and the leftover rows.
      const period = perPeriod * D2;
      const periods = Math.floor(D1 / perPeriod);
      const partial = heap.scratch('packed', period * 4);
      r.reduce(heap.offset(x), partial, 1, periods, period);
      const f32 = heap.f32();
      const rest = (heap.offset(x) >>> 2) + periods * period;
      for (let c = 0; c < D2; c++) {
        let sum = 0;
        for (let q = 0; q < perPeriod; q++) sum += f32[(partial >>> 2) + q * D2 + c];
        for (let row = 0; row < D1 - periods * perPeriod; row++) sum += f32[rest + row * D2 + c];
        f32[(out.at >>> 2) + c] = sum;
      }
    } else {
      r.reduce(heap.offset(x), out.at, D0, D1, D2);
    }
    if (mean) {
      const f32 = heap.f32();
      const count = axes.reduce((p, d) => p * x.shape[d], 1);
      for (let i = out.at >>> 2, end = i + D0 * D2; i < end; i++) f32[i] /= count;
    }
    return out.info;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** Sum on the wasm backend. */
export const sumConfig = reduceKernel(Sum, false);
/** Mean on the wasm backend. */
export const meanConfig = reduceKernel(Mean, true);
