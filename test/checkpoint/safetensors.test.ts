import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCheckpointFormat, readCheckpoint } from '../../src/checkpoint/open.js';
import { openSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { makeTensor } from '../../src/checkpoint/tensor.js';
import type { Tensor } from '../../src/checkpoint/tensor.js';
import { CheckpointError } from '../../src/errors.js';
import { listFiles, tempDir } from '../helpers.js';
import { BAD_SAFETENSORS } from './bad-safetensors.js';

function allDtypes(): Tensor[] {
  return [
    makeTensor('f64', 'F64', [2], new Float64Array([Math.PI, -1e300])),
    makeTensor('f32', 'F32', [2, 2], new Float32Array([1.5, -0, NaN, Infinity])),
    makeTensor('f16', 'F16', [3], new Uint16Array([0x3c00, 0x0001, 0x7e00])),
    makeTensor('bf16', 'BF16', [1, 2], new Uint16Array([0x3f80, 0xff80])),
    makeTensor('i64', 'I64', [2], new BigInt64Array([-(2n ** 62n), 42n])),
    makeTensor('i32', 'I32', [2], new Int32Array([-7, 2 ** 31 - 1])),
    makeTensor('i16', 'I16', [1], new Int16Array([-300])),
    makeTensor('i8', 'I8', [2], new Int8Array([-128, 127])),
    makeTensor('u8', 'U8', [2], new Uint8Array([0, 255])),
    makeTensor('bool', 'BOOL', [3], new Uint8Array([1, 0, 1])),
    makeTensor('scalar', 'F32', [], new Float32Array([2.5])),
    makeTensor('empty', 'F32', [0, 4], new Float32Array(0)),
  ];
}

describe('safetensors round trip', () => {
  it('is detected as safetensors when its header length starts with the bytes of a pickle (0x80 0x05)', async () => {
    // A header of 0x580 bytes: the file opens with 80 05, as a protocol-5 pickle does.
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(0x580, ' '));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const file = join(tempDir(), 'pickle-like.safetensors');
    writeFileSync(file, Buffer.concat([length, header, Buffer.from(Float32Array.of(1, 2).buffer)]));
    expect([...readFileSync(file).subarray(0, 2)]).toEqual([0x80, 0x05]);
    expect(await detectCheckpointFormat(file)).toBe('safetensors');
    const { tensors } = await readCheckpoint(file);
    expect(Array.from(tensors[0].data as Float32Array)).toEqual([1, 2]);
  });

  it('writes and reads every dtype bit for bit, with metadata', async () => {
    const dir = tempDir();
    const file = join(dir, 'all.safetensors');
    const tensors = allDtypes();
    await writeSafetensors(file, tensors, { format: 'pt', note: 'round trip' });
    const checkpoint = await readCheckpoint(file, { order: 'file' });
    expect(checkpoint.format).toBe('safetensors');
    expect(checkpoint.metadata).toEqual({ format: 'pt', note: 'round trip' });
    expect(checkpoint.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    for (const [i, t] of checkpoint.tensors.entries()) {
      const expected = tensors[i];
      expect(t.dtype).toBe(expected.dtype);
      expect(t.shape).toEqual(expected.shape);
      expect(t.data.constructor).toBe(expected.data.constructor);
      expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(
        Buffer.from(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength),
      );
    }
    expect(listFiles(dir)).toEqual(['all.safetensors']);
  });

  it('pads the header so that the data section is 8-byte aligned', async () => {
    const file = join(tempDir(), 'a.safetensors');
    await writeSafetensors(file, [makeTensor('x', 'F64', [1], new Float64Array([1]))]);
    const bytes = readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + 8);
  });

  it('orders parameters naturally by default and by data offset with order=file', async () => {
    const file = join(tempDir(), 'order.safetensors');
    const names = ['net.10.weight', 'net.2.weight', 'net.0.weight'];
    await writeSafetensors(
      file,
      names.map((n) => makeTensor(n, 'F32', [1], new Float32Array([1]))),
    );
    expect((await readCheckpoint(file)).tensors.map((t) => t.name)).toEqual(['net.0.weight', 'net.2.weight', 'net.10.weight']);
    expect((await readCheckpoint(file, { order: 'file' })).tensors.map((t) => t.name)).toEqual(names);
  });

  it('reads only the requested tensors', async () => {
    const file = join(tempDir(), 'some.safetensors');
    await writeSafetensors(file, allDtypes());
    const checkpoint = await readCheckpoint(file, { names: ['i8', 'f64'] });
    expect(checkpoint.tensors.map((t) => t.name)).toEqual(['f64', 'i8']);
    await expect(readCheckpoint(file, { names: ['nope'] })).rejects.toThrow(/no tensor named "nope"/);
  });

  it('lists entries from the header without reading data', async () => {
    const file = join(tempDir(), 'lazy.safetensors');
    await writeSafetensors(file, allDtypes());
    const reader = await openSafetensors(file);
    try {
      const f32 = reader.entries.find((e) => e.name === 'f32');
      expect(f32).toEqual({ name: 'f32', dtype: 'F32', shape: [2, 2], byteLength: 16, fileOffset: expect.any(Number) });
      const t = await reader.read('f32');
      expect(t.data[0]).toBe(1.5);
    } finally {
      await reader.close();
    }
  });

  it('refuses duplicate names and mismatched data when writing, leaving nothing behind', async () => {
    const dir = tempDir();
    const one = makeTensor('a', 'F32', [1], new Float32Array(1));
    await expect(writeSafetensors(join(dir, 'x.safetensors'), [one, one])).rejects.toThrow(/duplicate tensor name "a"/);
    const bad = { name: 'b', dtype: 'F32', shape: [3], data: new Float32Array(2) } as Tensor;
    await expect(writeSafetensors(join(dir, 'y.safetensors'), [bad])).rejects.toThrow(/does not hold F32/);
    expect(listFiles(dir)).toEqual([]);
  });
});

describe('safetensors bad input', () => {
  for (const { name, bytes, message } of BAD_SAFETENSORS) {
    it(`refuses ${name} with a CheckpointError naming the file`, async () => {
      const file = join(tempDir(), `${name}.safetensors`);
      writeFileSync(file, bytes);
      const error = await readCheckpoint(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }

  it('refuses invalid UTF-8 in the header', async () => {
    const file = join(tempDir(), 'latin1.safetensors');
    const bytes = new Uint8Array(8 + 2);
    new DataView(bytes.buffer).setBigUint64(0, 2n, true);
    bytes.set([0xff, 0xfe], 8);
    writeFileSync(file, bytes);
    await expect(readCheckpoint(file)).rejects.toThrow(/header is not valid UTF-8/);
  });

  it('reads NaN and Inf weights and reports them in statistics', async () => {
    const file = join(tempDir(), 'nan.safetensors');
    await writeSafetensors(file, [makeTensor('w', 'F32', [3], new Float32Array([NaN, 1, -Infinity]))]);
    const [t] = (await readCheckpoint(file)).tensors;
    expect(t.data[0]).toBeNaN();
    expect(t.data[2]).toBe(-Infinity);
  });
});
