/**
 * BatchNormTraining and its gradient (../ops/batch-norm.ts) for the wasm backend.
 *
 * Layout: x, y, the residual and the gradients are [rows, C] row-major on the heap (NHWC
 * with rows = N·H·W); per-channel values are [C]. Units: none (normalised activations).
 *
 * Algorithm. Forward: one pass sums, per channel, d = x - x[0, c] and d² (the shifted-data
 * method: shifting by a sample of the data keeps Σ d² - (Σ d)² / M free of the cancellation
 * the plain sums suffer); a second pass writes y = relu?(x · a + b + residual) with
 * a = scale / √(σ² + ε), b = offset - μ · a. Backward: one pass sums Σ dz and Σ dz · (x - μ)
 * per channel, a second writes dx = dz · a + (x - μ) · k + s, with k = -a · dscale / (M √(σ² + ε))
 * and s = -a · doffset / M, and dz itself when the residual needs it. Sums run in float32
 * over blocks of rows (SIMD, four channels at a time) and are added across blocks in
 * float64, so their rounding error does not grow with the batch.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { BatchNormTraining, BatchNormTrainingGrad } from '../ops/kernel-names.js';
import type { BatchNormTrainingAttrs } from '../ops/kernel-names.js';
import { channelwiseFunction, type Lanes } from './elementwise.js';
import { heapOf, type WasmHeap } from './heap.js';
import { requiredInputs } from './shipped.js';
import type { FunctionBuilder } from '../../util/wasm-asm.js';

/** Rows per float32 partial sum. */
const SUM_ROWS = 256;

/** Pushes dz: dy, masked where y <= 0 under ReLU. */
function pushDz(l: Lanes, relu: boolean): void {
  if (relu) l.wherePositive(() => l.load('dy'), () => l.load('y'));
  else l.load('dy');
}

const variant = (relu: boolean, flag: boolean, name: string): string => `${relu ? 'Relu' : ''}${flag ? name : ''}`;

function routines(): FunctionBuilder[] {
  const out: FunctionBuilder[] = [
    channelwiseFunction('sums', ['x'], ['shift', 's1', 's2'], [], (l) => {
      l.load('x');
      l.load('shift');
      l.sub();
      l.set('d');
      l.store('s1', () => (l.load('s1'), l.get('d'), l.add()));
      l.store('s2', () => (l.load('s2'), l.get('d'), l.get('d'), l.mul(), l.add()));
    }),
  ];
  for (const relu of [false, true]) {
    for (const residual of [false, true]) {
      out.push(
        channelwiseFunction(`affine${variant(relu, residual, 'Residual')}`, ['x', 'r', 'y'], ['a', 'b'], [], (l) => {
          l.store('y', () => {
            l.load('x');
            l.load('a');
            l.mul();
            l.load('b');
            l.add();
            if (residual) {
              l.load('r');
              l.add();
            }
            if (relu) l.relu();
          });
        }),
      );
    }
    out.push(
      channelwiseFunction(`gradSums${variant(relu, false, '')}`, ['dy', 'y', 'x'], ['mean', 's1', 's2'], [], (l) => {
        pushDz(l, relu);
        l.set('g');
        l.store('s1', () => (l.load('s1'), l.get('g'), l.add()));
        l.store('s2', () => (l.load('s2'), l.get('g'), l.load('x'), l.load('mean'), l.sub(), l.mul(), l.add()));
      }),
    );
    for (const writeDz of [false, true]) {
      out.push(
        channelwiseFunction(`gradInput${variant(relu, writeDz, 'Dz')}`, ['dy', 'y', 'x', 'dx', 'dz'], ['mean', 'a', 'k', 's'], [], (l) => {
          pushDz(l, relu);
          l.set('g');
          l.store('dx', () => {
            l.get('g');
            l.load('a');
            l.mul();
            l.load('x');
            l.load('mean');
            l.sub();
            l.load('k');
            l.mul();
            l.add();
            l.load('s');
            l.add();
          });
          if (writeDz) l.store('dz', () => l.get('g'));
        }),
      );
    }
  }
  return out;
}

type Routine = (...args: number[]) => void;

function routinesOf(heap: WasmHeap): Record<string, Routine> {
  return heap.routines<Record<string, Routine>>('batch-norm-training', routines);
}

/**
 * Per-channel sums of a [rows, C] pass (`run(first, count, s1, s2)` adds rows
 * [first, first + count) into the float32 [C] arrays s1, s2), block by block, added in float64.
 */
function blockSums(heap: WasmHeap, table: number, rows: number, C: number, run: (first: number, count: number, s1: number, s2: number) => void): [Float64Array, Float64Array] {
  const total1 = new Float64Array(C);
  const total2 = new Float64Array(C);
  const [s1, s2] = [table, table + C * 4];
  for (let first = 0; first < rows; first += SUM_ROWS) {
    const f32 = heap.f32();
    f32.fill(0, s1 >>> 2, (s1 >>> 2) + 2 * C);
    run(first, Math.min(SUM_ROWS, rows - first), s1, s2);
    for (let c = 0; c < C; c++) {
      total1[c] += f32[(s1 >>> 2) + c];
      total2[c] += f32[(s2 >>> 2) + c];
    }
  }
  return [total1, total2];
}

/** The heap, the routines and the [rows, C] layout of x. */
function setUp(backend: unknown, x: TensorInfo): { heap: WasmHeap; r: Record<string, Routine>; C: number; rows: number } {
  const heap = heapOf(backend);
  const C = x.shape[x.shape.length - 1];
  return { heap, r: routinesOf(heap), C, rows: util.sizeFromShape(x.shape) / C };
}

function checkFloat32(module: string, tensors: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32') throw new Error(`${module}: ${name} must be float32, got ${t.dtype}`);
  }
}

function batchNormTraining(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const inputs = requiredInputs(args.inputs, 'batch-norm-training', 'x', 'scale', 'offset');
  const { epsilon, relu, residual: hasResidual } = args.attrs as unknown as BatchNormTrainingAttrs;
  const residual = hasResidual ? requiredInputs(args.inputs, 'batch-norm-training', 'residual').residual : undefined;
  checkFloat32('batch-norm-training', residual === undefined ? inputs : { ...inputs, residual });
  const { x, scale, offset } = inputs;
  const { heap, r, C, rows } = setUp(args.backend, x);
  const y = heap.output([...x.shape]);
  const meanOut = heap.output([C]);
  const varianceOut = heap.output([C]);
  const xAt = heap.offset(x);
  const rowBytes = C * 4;
  // Scratch: shift, s1, s2 (sums), then a, b (affine), [C] floats each.
  const table = heap.scratch('packed', 5 * C * 4);
  const [shift, a, b] = [table, table + 3 * C * 4, table + 4 * C * 4];
  heap.f32().copyWithin(shift >>> 2, xAt >>> 2, (xAt >>> 2) + C);
  const [s1, s2] = blockSums(heap, table + C * 4, rows, C, (first, count, p1, p2) => r.sums(xAt + first * rowBytes, shift, p1, p2, count, C));
  const f32 = heap.f32();
  const [scaleAt, offsetAt] = [heap.offset(scale) >>> 2, heap.offset(offset) >>> 2];
  for (let c = 0; c < C; c++) {
    const mean = f32[(shift >>> 2) + c] + s1[c] / rows;
    const variance = Math.max(0, (s2[c] - (s1[c] * s1[c]) / rows) / rows);
    f32[(meanOut.at >>> 2) + c] = mean;
    f32[(varianceOut.at >>> 2) + c] = variance;
    const factor = f32[scaleAt + c] / Math.sqrt(variance + epsilon);
    f32[(a >>> 2) + c] = factor;
    f32[(b >>> 2) + c] = f32[offsetAt + c] - mean * factor;
  }
  const affine = r[`affine${variant(relu, residual !== undefined, 'Residual')}`];
  affine(xAt, residual === undefined ? 0 : heap.offset(residual), y.at, a, b, rows, C);
  return [y.info, meanOut.info, varianceOut.info];
}

function batchNormTrainingGrad(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const inputs = requiredInputs(args.inputs, 'batch-norm-training-grad', 'dy', 'x', 'y', 'scale', 'mean', 'variance');
  checkFloat32('batch-norm-training-grad', inputs);
  const { epsilon, relu, residual } = args.attrs as unknown as BatchNormTrainingAttrs;
  const { dy, x, y, scale, mean, variance } = inputs;
  const { heap, r, C, rows } = setUp(args.backend, x);
  const dx = heap.output([...x.shape]);
  const dscale = heap.output([C]);
  const doffset = heap.output([C]);
  const dz = residual ? heap.output([...x.shape]) : undefined;
  const [dyAt, xAt, yAt, meanAt] = [heap.offset(dy), heap.offset(x), heap.offset(y), heap.offset(mean)];
  const rowBytes = C * 4;
  // Scratch: s1, s2 (sums), then a, k, s, [C] floats each.
  const table = heap.scratch('packed', 5 * C * 4);
  const [a, k, s] = [table + 2 * C * 4, table + 3 * C * 4, table + 4 * C * 4];
  const gradSums = r[`gradSums${variant(relu, false, '')}`];
  const [sumDz, sumDzX] = blockSums(heap, table, rows, C, (first, count, p1, p2) => {
    const at = first * rowBytes;
    gradSums(dyAt + at, yAt + at, xAt + at, meanAt, p1, p2, count, C);
  });
  const f32 = heap.f32();
  const [scaleAt, varianceAt] = [heap.offset(scale) >>> 2, heap.offset(variance) >>> 2];
  for (let c = 0; c < C; c++) {
    const invStd = 1 / Math.sqrt(f32[varianceAt + c] + epsilon);
    const dscaleC = sumDzX[c] * invStd;
    const factor = f32[scaleAt + c] * invStd;
    f32[(dscale.at >>> 2) + c] = dscaleC;
    f32[(doffset.at >>> 2) + c] = sumDz[c];
    f32[(a >>> 2) + c] = factor;
    f32[(k >>> 2) + c] = (-factor * dscaleC * invStd) / rows;
    f32[(s >>> 2) + c] = (-factor * sumDz[c]) / rows;
  }
  const gradInput = r[`gradInput${variant(relu, dz !== undefined, 'Dz')}`];
  gradInput(dyAt, yAt, xAt, dx.at, dz === undefined ? 0 : dz.at, meanAt, a, k, s, rows, C);
  return dz === undefined ? [dx.info, dscale.info, doffset.info] : [dx.info, dscale.info, doffset.info, dz.info];
}

/** BatchNormTraining on the wasm backend. */
export const batchNormTrainingConfig: KernelConfig = { kernelName: BatchNormTraining, backendName: 'wasm', kernelFunc: batchNormTraining };

/** BatchNormTrainingGrad on the wasm backend. */
export const batchNormTrainingGradConfig: KernelConfig = { kernelName: BatchNormTrainingGrad, backendName: 'wasm', kernelFunc: batchNormTrainingGrad };
