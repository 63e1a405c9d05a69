import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  elementCount,
  halfBitsToFloat32,
  makeTensor,
  tensorStats,
  tensorToFloat64,
  typedArrayFromBytes,
} from '../../src/checkpoint/tensor.js';

describe('tensor helpers', () => {
  it('decodes IEEE binary16 including subnormals, infinities and NaN', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555]);
    const values = halfBitsToFloat32(bits);
    expect(values[0]).toBe(1);
    expect(values[1]).toBe(-2);
    expect(values[2]).toBe(2 ** -24);
    expect(values[3]).toBe(65504);
    expect(values[4]).toBe(Infinity);
    expect(values[5]).toBe(-Infinity);
    expect(values[6]).toBeNaN();
    expect(Object.is(values[7], -0)).toBe(true);
    expect(values[8]).toBe(Math.fround(0.333251953125));
  });

  it('decodes bfloat16 as the top half of float32', () => {
    const values = bfloat16BitsToFloat32(new Uint16Array([0x3f80, 0xc040, 0x7f80]));
    expect([...values]).toEqual([1, -3, Infinity]);
  });

  it('rejects shapes that are negative, fractional or absurdly large', () => {
    expect(elementCount([2, 3])).toBe(6);
    expect(elementCount([])).toBe(1);
    expect(elementCount([0, 5])).toBe(0);
    expect(elementCount([-1])).toBeUndefined();
    expect(elementCount([1.5])).toBeUndefined();
    expect(elementCount([2 ** 21, 2 ** 21])).toBeUndefined();
    expect(elementCount(['3'])).toBeUndefined();
  });

  it('copies unaligned bytes rather than failing', () => {
    const bytes = new Uint8Array(9);
    new DataView(bytes.buffer).setFloat32(1, 1.5, true);
    new DataView(bytes.buffer).setFloat32(5, -2, true);
    expect([...typedArrayFromBytes('F32', bytes.subarray(1))]).toEqual([1.5, -2]);
    expect(() => typedArrayFromBytes('F32', bytes.subarray(0, 6))).toThrow(/not a whole number/);
  });

  it('computes statistics over finite values and counts the rest', () => {
    const t = makeTensor('w', 'F32', [2, 3], new Float32Array([1, NaN, -3, Infinity, 4, -Infinity]));
    expect(tensorStats(t)).toEqual({ min: -3, max: 4, mean: 2 / 3, nonFinite: 3 });
    const none = makeTensor('w', 'F64', [1], new Float64Array([NaN]));
    expect(tensorStats(none)).toEqual({ min: null, max: null, mean: null, nonFinite: 1 });
    const ints = makeTensor('n', 'I64', [], new BigInt64Array([7n]));
    expect(tensorStats(ints)).toEqual({ min: 7, max: 7, mean: 7, nonFinite: 0 });
    expect([...tensorToFloat64(ints)]).toEqual([7]);
  });

  it('refuses data that does not match dtype and shape', () => {
    expect(() => makeTensor('w', 'F32', [2, 2], new Float32Array(3))).toThrow(/does not hold F32/);
    expect(() => makeTensor('w', 'F32', [2], new Float64Array(2))).toThrow(/does not hold F32/);
  });
});
