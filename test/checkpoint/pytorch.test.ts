import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openCheckpoint, readCheckpoint } from '../../src/checkpoint/open.js';
import { DEFAULTS as PYTORCH_DEFAULTS, openPytorch } from '../../src/checkpoint/pytorch/reader.js';
import { gatherStrided, isRowMajor, viewExtent } from '../../src/checkpoint/pytorch/strided.js';
import { tensorToFloat64 } from '../../src/checkpoint/tensor.js';
import type { Tensor } from '../../src/checkpoint/tensor.js';
import { CheckpointError, LimitError } from '../../src/errors.js';
import { compareNatural } from '../../src/util/natural-sort.js';
import { tempDir } from '../helpers.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'pytorch');

/** What PyTorch reported for a tensor (scripts/make-fixtures.py). */
interface ExpectedTensor {
  dtype: string;
  shape: number[];
  /** Row-major values; int64 as decimal strings, bool as true/false. */
  values: (number | string | boolean)[];
  /** Raw 16-bit patterns of F16 and BF16 tensors. */
  bits?: number[];
}

interface ExpectedFixture {
  order: string[];
  tensors: Record<string, ExpectedTensor>;
}

const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  fixtures: Record<string, ExpectedFixture>;
};

function fixture(name: string): string {
  return join(FIXTURES, name);
}

function expectTensor(t: Tensor, expected: ExpectedTensor): void {
  expect(t.dtype).toBe(expected.dtype);
  expect(t.shape).toEqual(expected.shape);
  const values = Array.from(t.data as ArrayLike<number | bigint>);
  switch (t.dtype) {
    case 'I64':
      expect(values).toEqual(expected.values.map((v) => BigInt(v as string)));
      break;
    case 'BOOL':
      expect(values).toEqual(expected.values.map((v) => (v ? 1 : 0)));
      break;
    case 'F16':
    case 'BF16':
      expect(values).toEqual(expected.bits);
      expect(Array.from(tensorToFloat64(t))).toEqual(expected.values);
      break;
    default:
      expect(values).toEqual(expected.values);
  }
}

/** Reads every tensor of `file` and compares it, and the parameter order, with PyTorch's values. */
async function expectFixture(file: string, expected: ExpectedFixture, options: { key?: string } = {}): Promise<void> {
  const reader = await openPytorch(fixture(file), options);
  try {
    expect(reader.format).toBe('pytorch');
    expect(reader.metadata).toEqual({});
    expect(reader.entries.map((e) => e.name)).toEqual(expected.order);
    for (const entry of reader.entries) {
      const want = expected.tensors[entry.name];
      expect(entry.dtype).toBe(want.dtype);
      expect(entry.shape).toEqual(want.shape);
      const tensor = await reader.read(entry.name);
      expect(tensor.data.byteLength).toBe(entry.byteLength);
      expectTensor(tensor, want);
    }
  } finally {
    await reader.close();
  }
}

/** Opens `file` expecting a one-line CheckpointError that names the file and matches `message`. */
async function expectRefused(file: string, message: RegExp, open: (file: string) => Promise<unknown> = openPytorch): Promise<void> {
  const error = await open(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  const text = (error as CheckpointError).message;
  expect(text.startsWith(`${file}: `)).toBe(true);
  expect(text).not.toContain('\n');
  expect(text).toMatch(message);
}

/** Records every FileHandle read (position and length) while installed. */
async function spyOnReads(): Promise<{ position: number; length: number }[]> {
  const probe = await open(fixture('mlp.pt'), 'r');
  const prototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const reads: { position: number; length: number }[] = [];
  const original = prototype.read;
  vi.spyOn(prototype, 'read').mockImplementation(function (this: FileHandle, ...args: unknown[]) {
    const [, , length, position] = args as [unknown, number, number, number];
    reads.push({ position, length });
    return (original as (...a: unknown[]) => ReturnType<FileHandle['read']>).apply(this, args);
  } as FileHandle['read']);
  return reads;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('openPytorch on files written by torch.save', () => {
  it('reads a tiny MLP state_dict in state_dict order with the values PyTorch saved', async () => {
    await expectFixture('mlp.pt', EXPECTED.fixtures['mlp.pt']);
  });

  it('reads pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE)', async () => {
    await expectFixture('mlp-protocol4.pt', EXPECTED.fixtures['mlp.pt']);
  });

  it('reads a zip64 container', async () => {
    await expectFixture('mlp-zip64.pt', EXPECTED.fixtures['mlp.pt']);
  });

  it('reads nn.Parameter values (_rebuild_parameter)', async () => {
    await expectFixture('parameters.pt', EXPECTED.fixtures['parameters.pt']);
  });

  it('reads a CNN with batch norm, including int64 num_batches_tracked scalars', async () => {
    await expectFixture('cnn.pt', EXPECTED.fixtures['cnn.pt']);
    const reader = await openPytorch(fixture('cnn.pt'));
    try {
      const tracked = await reader.read('features.1.num_batches_tracked');
      expect(tracked.shape).toEqual([]);
      expect(tracked.data).toEqual(new BigInt64Array([1n]));
    } finally {
      await reader.close();
    }
  });

  it('materialises transposed, sliced, offset, expanded, 0-d and empty views as row-major tensors', async () => {
    await expectFixture('views.pt', EXPECTED.fixtures['views.pt']);
  });

  it('reads every dtype bit for bit: F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL', async () => {
    await expectFixture('dtypes.pt', EXPECTED.fixtures['dtypes.pt']);
  });

  it('agrees byte for byte with the safetensors twins of the same tensors', async () => {
    for (const name of ['mlp', 'cnn', 'views', 'dtypes']) {
      const pt = await readCheckpoint(fixture(`${name}.pt`));
      const st = await readCheckpoint(fixture(`${name}.safetensors`), { order: 'file' });
      expect(pt.format).toBe('pytorch');
      expect(st.tensors.map((t) => t.name)).toEqual(pt.tensors.map((t) => t.name));
      for (const [i, t] of pt.tensors.entries()) {
        const twin = st.tensors[i];
        expect([t.dtype, t.shape]).toEqual([twin.dtype, twin.shape]);
        expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(
          Buffer.from(twin.data.buffer, twin.data.byteOffset, twin.data.byteLength),
        );
      }
    }
  });

  it("sorts names naturally with order: 'natural'", async () => {
    const reader = await openPytorch(fixture('cnn.pt'), { order: 'natural' });
    const names = reader.entries.map((e) => e.name);
    await reader.close();
    expect(names).toEqual([...EXPECTED.fixtures['cnn.pt'].order].sort(compareNatural));
    expect(names.slice(0, 2)).toEqual(['classifier.bias', 'classifier.weight']);
    expect(names.indexOf('features.3.weight')).toBeLessThan(names.indexOf('features.10.weight'));
  });

  it('refuses unknown names and reads after close', async () => {
    const reader = await openPytorch(fixture('mlp.pt'));
    await expect(reader.read('missing')).rejects.toThrow(/no tensor named "missing"/);
    await reader.close();
    await reader.close();
    await expect(reader.read('0.weight')).rejects.toThrow(/read after close/);
  });
});

describe('training checkpoints wrapping a state_dict', () => {
  it("finds 'model_state_dict' next to epoch and optimizer state", async () => {
    await expectFixture('checkpoint.pt', EXPECTED.fixtures['checkpoint.pt']);
    await expectFixture('checkpoint.pt', EXPECTED.fixtures['checkpoint.pt'], { key: 'model_state_dict' });
  });

  it('asks for a key when no conventional one is present, listing the top-level keys', async () => {
    await expectRefused(fixture('custom-key.pt'), /no state_dict found: top-level keys are "step", "ema", "tag"; pass the key/);
    await expectFixture('custom-key.pt', EXPECTED.fixtures['custom-key.pt'], { key: 'ema' });
  });

  it('refuses a key that is absent or holds no tensors', async () => {
    const file = fixture('checkpoint.pt');
    await expectRefused(file, /no top-level key "weights"; top-level keys: "epoch", "model_state_dict"/, (f) => openPytorch(f, { key: 'weights' }));
    await expectRefused(file, /top-level key "epoch" holds a int without tensors/, (f) => openPytorch(f, { key: 'epoch' }));
    await expectRefused(file, /top-level key "optimizer_state_dict" holds a dict without tensors/, (f) =>
      openPytorch(f, { key: 'optimizer_state_dict' }),
    );
  });
});

describe('lazy reading', () => {
  it('reads no tensor data when opening, and only the bytes of the view when reading', async () => {
    const file = fixture('views.pt');
    const reads = await spyOnReads();
    const reader = await openPytorch(file);
    // yauzl first scans the last 65,557 bytes for the end-of-central-directory record; in a
    // file this small that covers everything, so only the reads after the scan are checked.
    const size = statSync(file).size;
    const atOpen = reads.splice(0).filter((r) => !(r.position === 0 && r.length === size));
    expect(atOpen.length).toBeGreaterThan(0);
    try {
      // A single element of a 24-element storage: its local header (30 bytes) and 4 data bytes.
      await reader.read('element_2_3');
      expect(reads.map((r) => r.length).sort((a, b) => a - b)).toEqual([4, 30]);
      const element = reads.find((r) => r.length === 4) as { position: number };
      reads.length = 0;
      for (const entry of reader.entries) await reader.read(entry.name);
      const data = reads.filter((r) => r.length !== 30);
      expect(data.length).toBeGreaterThan(0);
      for (const r of [...data, { position: element.position, length: 4 }]) {
        for (const o of atOpen) expect(r.position >= o.position + o.length || o.position >= r.position + r.length).toBe(true);
      }
    } finally {
      await reader.close();
    }
  });
});

describe('readCheckpoint and openCheckpoint on .pt files', () => {
  it('detects the zip format and reads the state_dict in file order', async () => {
    const checkpoint = await readCheckpoint(fixture('cnn.pt'));
    expect(checkpoint.format).toBe('pytorch');
    expect(checkpoint.metadata).toEqual({});
    expect(checkpoint.tensors.map((t) => t.name)).toEqual(EXPECTED.fixtures['cnn.pt'].order);
    for (const t of checkpoint.tensors) expectTensor(t, EXPECTED.fixtures['cnn.pt'].tensors[t.name]);
  });

  it('passes the parameter order and reads a subset of names', async () => {
    const checkpoint = await readCheckpoint(fixture('mlp.pt'), { order: 'natural', names: ['2.bias', '0.weight'] });
    expect(checkpoint.tensors.map((t) => t.name)).toEqual(['0.weight', '2.bias']);
  });

  it('refuses the legacy (pre-1.6) format with advice to re-save', async () => {
    const file = fixture('legacy.pt');
    await expectRefused(file, /legacy \(pre-1\.6, non-zip\) torch\.save format is not supported/, openCheckpoint);
    await expectRefused(file, /legacy/, readCheckpoint);
    await expectRefused(file, /not a zip archive/);
  });
});

describe('bad and hostile input', () => {
  const cases: [string, RegExp][] = [
    ['not-torch.zip', /not a PyTorch checkpoint: the zip archive has no <name>\/data\.pkl record/],
    ['hostile-os-system.pt', /refusing to load global os\.system/],
    ['hostile-eval.pt', /refusing to load global builtins\.eval/],
    ['numpy-scalar.pt', /refusing to load global numpy\.core\.multiarray\.scalar/],
    ['whole-module.pt', /refusing to load global torch\.nn\.modules\.linear\.Linear/],
    ['unknown-opcode.pt', /unsupported pickle opcode 0x49 \("I"\)/],
    ['huge-entry.pt', /zip entry mlp\/data\.pkl declares 4294967280 bytes at offset 0, beyond the end of the 1735-byte file/],
    ['deflated.pt', /zip entry deflated\/data\.pkl is compressed \(method 8\); torch\.save stores records uncompressed/],
    ['big-endian.pt', /saved big-endian/],
    ['short-record.pt', /storage "0" declares 64 F32 elements \(256 bytes\) but its record holds 16 bytes/],
    ['view-beyond-storage.pt', /tensor "w": view \(offset 1, shape \[3, 3\], stride \[3, 1\]\) needs 10 elements of storage "0", which holds 4/],
    ['absurd-numel.pt', /storage "0" declares 1125899906842624 F32 elements/],
    ['absurd-shape.pt', /shape \[1073741824, 1073741824, 1073741824\], over 2\^40 elements/],
    ['missing-record.pt', /storage "7" has no record data\/7/],
  ];
  for (const [name, message] of cases) {
    it(`refuses ${name} without reading more than the file holds`, async () => {
      const file = fixture(name);
      const reads = await spyOnReads();
      await expectRefused(file, message);
      expect(Math.max(0, ...reads.map((r) => r.length))).toBeLessThanOrEqual(statSync(file).size);
    });
  }

  it('refuses truncated zips wherever they are cut', async () => {
    const bytes = readFileSync(fixture('mlp.pt'));
    const dir = tempDir();
    for (const length of [0, 4, 30, 200, 700, bytes.length - 100, bytes.length - 22, bytes.length - 1]) {
      const file = join(dir, `cut-${length}.pt`);
      writeFileSync(file, bytes.subarray(0, length));
      await expectRefused(file, /not a zip archive, or a truncated one|corrupt zip/);
    }
  });

  it('refuses a data.pkl over the size limit before reading it', async () => {
    const file = join(tempDir(), 'mlp.pt');
    copyFileSync(fixture('mlp.pt'), file);
    const refused = await openPytorch(file, { maxPickleBytes: 100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LimitError);
    expect((refused as LimitError).message).toBe(`${file}: mlp/data.pkl is 473 bytes, over the limit of 100 (raise it with the maxPickleBytes option if the input is trusted)`);
    // The defaults are frozen: a limit is raised per call, never for everyone.
    expect(Object.isFrozen(PYTORCH_DEFAULTS)).toBe(true);
    const reader = await openPytorch(file, { maxPickleBytes: 473 });
    expect(reader.entries.length).toBeGreaterThan(0);
    await reader.close();
  });

  it('refuses a missing file', async () => {
    await expectRefused(join(tempDir(), 'absent.pt'), /cannot open \(ENOENT\)/);
  });
});

describe('strided views', () => {
  it('recognises row-major strides and computes the storage span', () => {
    expect(isRowMajor([2, 3], [3, 1])).toBe(true);
    expect(isRowMajor([3, 2], [1, 3])).toBe(false);
    expect(isRowMajor([1, 4], [99, 1])).toBe(true);
    expect(viewExtent([3, 2], [1, 3])).toBe(6);
    expect(viewExtent([4, 3], [0, 1])).toBe(3);
    expect(viewExtent([2, 0], [5, 1])).toBe(0);
    expect(viewExtent([], [])).toBe(1);
  });

  it('gathers 8-byte elements without passing them through floats', () => {
    // A NaN with a payload, transposed: its bits must survive.
    const source = new BigUint64Array([0x7ff0000000000001n, 1n, 2n, 3n, 4n, 5n]);
    const out = gatherStrided(new Uint8Array(source.buffer), 8, [3, 2], [1, 3]);
    expect(Array.from(new BigUint64Array(out.buffer))).toEqual([0x7ff0000000000001n, 3n, 1n, 4n, 2n, 5n]);
  });
});
