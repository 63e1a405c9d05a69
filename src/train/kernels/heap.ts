/**
 * Access to the wasm backend's linear memory for the training kernels.
 *
 * Layout: every wasm-backend tensor is one contiguous row-major buffer on the backend's
 * heap at `memoryOffset` bytes (float32 or int32, 4 bytes per element). Kernels here
 * read inputs and write outputs in place: an output is allocated with the backend's own
 * `makeOutput`, so the engine owns and frees it like any other tensor. Temporaries
 * (packed panels, padded inputs, column gradients) live in per-purpose scratch areas
 * that grow on demand and are reused across calls, so a training step does not churn
 * the allocator; index tables that depend only on a shape are built once and kept.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { assemble, type FunctionBuilder } from '../../util/wasm-asm.js';

/** The parts of the wasm backend (`BackendWasm`) the kernels use. */
export interface WasmBackend {
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number; refCount: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  incRef(dataId: DataId): void;
  disposeData(dataId: DataId, force?: boolean): boolean;
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
}

/** Scratch areas; one per concurrent use inside a kernel. */
export type ScratchSlot = 'packed' | 'filter' | 'columns' | 'padded';

/** The heap of one wasm backend instance. */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private view: Float32Array;
  private readonly scratchAreas = new Map<ScratchSlot, { pointer: number; bytes: number }>();
  private readonly tables = new Map<string, number>();
  private readonly assembled = new Map<string, unknown>();

  constructor(readonly backend: WasmBackend) {
    this.memory = backend.wasm.asm.memory;
    this.view = new Float32Array(this.memory.buffer);
  }

  /** A float32 view of the whole heap (renewed when the memory has grown). */
  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** Returns the byte offset of a tensor's data on the heap. */
  offset(t: TensorInfo): number {
    const data = this.backend.dataIdMap.get(t.dataId);
    if (data === undefined) throw new Error('heap: tensor data is not on the wasm backend');
    return data.memoryOffset;
  }

  /** Allocates an output tensor on the heap; returns it with its byte offset. */
  output(shape: number[]): { info: TensorInfo; at: number } {
    const info = this.backend.makeOutput(shape, 'float32');
    return { info, at: this.offset(info) };
  }

  /** Returns the byte offset of a scratch area of at least `bytes` bytes in `slot`. */
  scratch(slot: ScratchSlot, bytes: number): number {
    const area = this.scratchAreas.get(slot);
    if (area !== undefined && area.bytes >= bytes) return area.pointer;
    if (area !== undefined) this.backend.wasm._free(area.pointer);
    // Grow geometrically so that slowly increasing sizes do not reallocate every call.
    const size = Math.max(bytes, Math.ceil((area?.bytes ?? 0) * 1.5), 4096);
    const pointer = this.backend.wasm._malloc(size) >>> 0;
    if (pointer === 0) throw new Error(`heap: out of memory allocating ${size} bytes`);
    this.scratchAreas.set(slot, { pointer, bytes: size });
    return pointer;
  }

  /**
   * Returns the byte offset of a kept int32 table identified by `key`, built by `build`
   * the first time it is asked for.
   */
  table(key: string, build: () => Int32Array): number {
    let pointer = this.tables.get(key);
    if (pointer === undefined) {
      const values = build();
      pointer = this.backend.wasm._malloc(Math.max(4, values.byteLength)) >>> 0;
      if (pointer === 0) throw new Error(`heap: out of memory allocating table ${key}`);
      new Int32Array(this.memory.buffer, pointer, values.length).set(values);
      this.tables.set(key, pointer);
    }
    return pointer;
  }

  /**
   * Returns the routines of the functions `build` returns, assembled on this heap's
   * memory the first time `key` is asked for and kept.
   */
  routines<T>(key: string, build: () => readonly FunctionBuilder[]): T {
    let r = this.assembled.get(key);
    if (r === undefined) {
      r = assemble(this.memory, build());
      this.assembled.set(key, r);
    }
    return r as T;
  }
}

const heaps = new WeakMap<object, WasmHeap>();

/** Returns the heap of the wasm backend a kernel was called with. */
export function heapOf(backend: unknown): WasmHeap {
  const b = backend as WasmBackend;
  let heap = heaps.get(b);
  if (heap === undefined) {
    if (!(b?.wasm?.asm?.memory instanceof WebAssembly.Memory)) {
      throw new Error('heap: kernel called with a backend that is not the wasm backend');
    }
    heap = new WasmHeap(b);
    heaps.set(b, heap);
  }
  return heap;
}
