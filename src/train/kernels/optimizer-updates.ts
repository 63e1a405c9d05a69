/**
 * MomentumUpdate and AdamUpdate (see ../ops/kernel-names.ts for the update rules) for
 * the wasm backend: one SIMD pass over a variable, its gradient and its optimizer state,
 * writing the new variable and state to fresh outputs.
 *
 * Arithmetic is plain float32 multiplies and adds in PyTorch's order of operations (no
 * fused multiply-add), so vector and scalar elements round alike.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { AdamUpdate, MomentumUpdate } from '../ops/kernel-names.js';
import type { AdamUpdateAttrs, MomentumUpdateAttrs } from '../ops/kernel-names.js';
import { f32Bits } from '../../util/wasm-asm.js';
import { elementwiseFunction, type Lanes } from './elementwise.js';
import { heapOf, type WasmHeap } from './heap.js';
import { requiredInputs } from './shipped.js';

type Routine = (...args: number[]) => void;
interface UpdateRoutines {
  momentum: Routine;
  adam: Routine;
}

/** Sets temporary `g` to g + wd·w, PyTorch's L2 weight decay. */
function decayedGradient(l: Lanes): void {
  l.load('g');
  l.constant('wd');
  l.load('w');
  l.mul();
  l.add();
  l.set('g');
}

function routinesOf(heap: WasmHeap): UpdateRoutines {
  return heap.routines<UpdateRoutines>('optimizer-updates', () => [
    elementwiseFunction('momentum', ['w', 'v', 'g', 'wOut', 'vOut'], ['lr', 'momentum', 'wd'], (l) => {
      // g' = g + wd·w;  v' = momentum·v + g';  w' = w - lr·v'
      decayedGradient(l);
      l.constant('momentum');
      l.load('v');
      l.mul();
      l.get('g');
      l.add();
      l.set('v');
      l.store('vOut', () => l.get('v'));
      l.store('wOut', () => {
        l.load('w');
        l.constant('lr');
        l.get('v');
        l.mul();
        l.sub();
      });
    }),
    elementwiseFunction(
      'adam',
      ['w', 'm', 'v', 'g', 'wOut', 'mOut', 'vOut'],
      ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'stepSize', 'sqrtCorrection2', 'eps', 'wd'],
      (l) => {
        decayedGradient(l);
        // m' = β1·m + (1-β1)·g'
        l.constant('beta1');
        l.load('m');
        l.mul();
        l.constant('oneMinusBeta1');
        l.get('g');
        l.mul();
        l.add();
        l.set('m');
        // v' = β2·v + (1-β2)·g'·g'
        l.constant('beta2');
        l.load('v');
        l.mul();
        l.constant('oneMinusBeta2');
        l.get('g');
        l.mul();
        l.get('g');
        l.mul();
        l.add();
        l.set('v');
        l.store('mOut', () => l.get('m'));
        l.store('vOut', () => l.get('v'));
        // w' = w - stepSize · m' / (√v' / √(1-β2ᵗ) + ε)
        l.store('wOut', () => {
          l.load('w');
          l.constant('stepSize');
          l.get('m');
          l.mul();
          l.get('v');
          l.sqrt();
          l.constant('sqrtCorrection2');
          l.div();
          l.constant('eps');
          l.add();
          l.div();
          l.sub();
        });
      },
    ),
  ]);
}

/** Checks that every input is float32 with the variable's shape; returns the variable's element count. */
function checkedSize(module: string, inputs: Record<string, TensorInfo>): number {
  const shape = inputs.variable.shape;
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, shape)) {
      throw new Error(`${module}: input '${name}' is ${t.dtype} [${t.shape}], expected float32 [${shape}]`);
    }
  }
  return util.sizeFromShape(shape);
}

function momentumUpdate(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const inputs = requiredInputs(args.inputs, 'momentum-update', 'variable', 'velocity', 'gradient');
  const count = checkedSize('momentum-update', inputs);
  const { lr, momentum, weightDecay } = args.attrs as unknown as MomentumUpdateAttrs;
  const heap = heapOf(args.backend);
  const w = heap.output([...inputs.variable.shape]);
  const v = heap.output([...inputs.variable.shape]);
  const at = (t: TensorInfo): number => heap.offset(t);
  routinesOf(heap).momentum(at(inputs.variable), at(inputs.velocity), at(inputs.gradient), w.at, v.at, count, f32Bits(lr), f32Bits(momentum), f32Bits(weightDecay));
  return [w.info, v.info];
}

function adamUpdate(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const inputs = requiredInputs(args.inputs, 'adam-update', 'variable', 'm', 'v', 'gradient');
  const count = checkedSize('adam-update', inputs);
  const { lr, beta1, beta2, epsilon, weightDecay, step } = args.attrs as unknown as AdamUpdateAttrs;
  if (!(Number.isInteger(step) && step >= 1)) throw new Error(`adam-update: step must be an integer >= 1, got ${step}`);
  const heap = heapOf(args.backend);
  const [w, m, v] = [0, 1, 2].map(() => heap.output([...inputs.variable.shape]));
  const at = (t: TensorInfo): number => heap.offset(t);
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtCorrection2 = Math.sqrt(1 - beta2 ** step);
  const constants = [beta1, 1 - beta1, beta2, 1 - beta2, stepSize, sqrtCorrection2, epsilon, weightDecay].map(f32Bits);
  routinesOf(heap).adam(at(inputs.variable), at(inputs.m), at(inputs.v), at(inputs.gradient), w.at, m.at, v.at, count, ...constants);
  return [w.info, m.info, v.info];
}

/** MomentumUpdate on the wasm backend. */
export const momentumUpdateConfig: KernelConfig = { kernelName: MomentumUpdate, backendName: 'wasm', kernelFunc: momentumUpdate };
/** AdamUpdate on the wasm backend. */
export const adamUpdateConfig: KernelConfig = { kernelName: AdamUpdate, backendName: 'wasm', kernelFunc: adamUpdate };
