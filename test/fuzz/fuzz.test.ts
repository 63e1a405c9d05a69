import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, readCheckpoint } from '../../src/checkpoint/open.js';
import { loadTorchPickle } from '../../src/checkpoint/pytorch/torch-pickle.js';
import { CheckpointError, LimitError } from '../../src/errors.js';
import { rawSafetensors, tempDir } from '../helpers.js';
import { checkCase, instrumentAllocations, runCampaign, takeLargestAllocation } from './harness.js';
import { FUZZED_READERS } from './readers.js';

/** Cases per reader inside `npm test`: seconds, not minutes (`npm run fuzz` runs the long campaigns). */
const CASES = 2_000;
/** Fixed, so that a failure here reproduces: `npm run fuzz -- --cases 2000 --seed 20 --reader NAME`. */
const SEED = 20;

const REGRESSIONS = resolve(import.meta.dirname, '..', 'fixtures', 'fuzz', 'regressions');

describe('fuzzing every reader', () => {
  for (const reader of FUZZED_READERS) {
    it(`${reader.name}: ${CASES} mutated and random inputs end in a result or an EpochgraphError, quickly and within bounded memory`, async () => {
      const result = await runCampaign(reader, CASES, SEED);
      expect(result.failure?.message).toBeUndefined();
      expect(result.cases).toBe(CASES);
      // Both outcomes occur: the mutations keep some inputs valid and break others.
      expect(result.accepted).toBeGreaterThan(0);
      expect(result.refused).toBeGreaterThan(0);
    }, 120_000);
  }

  it('replays every input fuzzing found a bug with: each is now refused with a one-line EpochgraphError', async () => {
    const files = readdirSync(REGRESSIONS).sort();
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const reader = FUZZED_READERS.find((r) => r.name === name.split('--')[0]);
      expect(reader, name).toBeDefined();
      const dir = tempDir();
      const result = await checkCase(reader!, new Uint8Array(readFileSync(join(REGRESSIONS, name))), dir);
      expect(result.outcome, name).toBe('refused');
    }
  });
});

describe('memory: a file claiming a terabyte is refused before anything is allocated', () => {
  const TERABYTE = 2 ** 40;
  const refusedWithoutAllocating = async (bytes: Uint8Array, read: (file: string) => Promise<unknown>, error: new (...args: never[]) => Error, message: RegExp) => {
    instrumentAllocations();
    const file = join(tempDir(), 'claim');
    writeFileSync(file, bytes);
    takeLargestAllocation();
    const thrown = await read(file).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(error);
    expect((thrown as Error).message).toMatch(message);
    expect(takeLargestAllocation()).toBeLessThan(64 * 1024);
  };

  it('safetensors: a header length of a terabyte', async () => {
    await refusedWithoutAllocating(rawSafetensors('{}', new Uint8Array(0), BigInt(TERABYTE)), (f) => readCheckpoint(f), LimitError, /header length 1099511627776 bytes .*over the limit of 100,000,000 \(raise it with the maxHeaderBytes option/);
  });

  it('safetensors: a tensor whose offsets claim a terabyte of data', async () => {
    const header = { w: { dtype: 'U8', shape: [TERABYTE], data_offsets: [0, TERABYTE] } };
    await refusedWithoutAllocating(rawSafetensors(header, new Uint8Array(8)), (f) => readCheckpoint(f), CheckpointError, /data_offsets \[0, 1099511627776\] exceed the 8-byte data section/);
  });

  it('PyTorch: a zip entry claiming more bytes than the file has', async () => {
    const bytes = new Uint8Array(readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'pytorch', 'huge-entry.pt')));
    await refusedWithoutAllocating(bytes, (f) => readCheckpoint(f), CheckpointError, /declares 4294967280 bytes at offset 0, beyond the end/);
  });

  it('PyTorch: a zero-stride view of a one-element storage claiming a terabyte', async () => {
    // torch.save keeps the strides of an expanded tensor: a few bytes on disk can claim any size.
    const file = resolve(import.meta.dirname, '..', 'fixtures', 'pytorch', 'expanded.pt');
    instrumentAllocations();
    takeLargestAllocation();
    const thrown = await readCheckpoint(file).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(LimitError);
    expect((thrown as Error).message).toMatch(/its tensors hold 4,398,046,511,104 bytes, over the limit of 17,179,869,184 \(raise it with the maxCheckpointBytes option/);
    expect(takeLargestAllocation()).toBeLessThan(64 * 1024);
    // Raised per call, the limit lets the file open (reading the tensor is the caller's choice).
    const reader = await openCheckpoint(file, { maxCheckpointBytes: 2 ** 42 });
    expect(reader.entries.map((e) => [e.name, e.byteLength])).toEqual([['w', 2 ** 42]]);
    await reader.close();
  });

  it('pickle: a BINUNICODE8 string claiming a terabyte', () => {
    const pickle = new Uint8Array([0x80, 0x02, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0, 0x2e]);
    instrumentAllocations();
    takeLargestAllocation();
    expect(() => loadTorchPickle('data.pkl', pickle, new Map())).toThrow(/needs 1099511627776 bytes but the pickle ends after 1/);
    expect(takeLargestAllocation()).toBeLessThan(64 * 1024);
  });
});

/** The globals torch.save may name; every other one must be refused. */
const ALLOWED = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', ...['Half', 'BFloat16', 'Float', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map((t) => `torch.${t}Storage`)]);
const HOSTILE: readonly (readonly [string, string])[] = [
  ['os', 'system'],
  ['posix', 'system'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['builtins', 'getattr'],
  ['__builtin__', 'eval'],
  ['subprocess', 'Popen'],
  ['torch', 'load'],
  ['torch', 'Tensor'],
  ['torch._utils', '_rebuild_qtensor'],
  ['torch.serialization', '_load'],
  ['collections', 'OrderedDict.__init__'],
  ['numpy.core.multiarray', '_reconstruct'],
];

function shortUnicode(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return bytes.length < 256 ? [0x8c, bytes.length, ...bytes] : [0x58, ...[0, 8, 16, 24].map((s) => (bytes.length >> s) & 0xff), ...bytes];
}

describe('pickle: nothing outside the allowlist is reachable', () => {
  const name = fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.tuple(fc.constantFrom('torch', 'torch._utils', 'collections', 'builtins', 'os'), fc.string({ minLength: 1, maxLength: 30 })),
    fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ minLength: 1, maxLength: 30 })),
  ).filter(([module, global]) => !ALLOWED.has(`${module}.${global}`) && !`${module}${global}`.includes('\n'));
  // Whatever follows the global (arguments, a REDUCE, a STOP), it is refused first.
  const tail = fc.uint8Array({ maxLength: 64 });

  it('GLOBAL and STACK_GLOBAL of any name off the allowlist are refused, whatever follows', () => {
    fc.assert(
      fc.property(name, fc.boolean(), tail, ([module, global], stacked, rest) => {
        const opening = stacked ? [...shortUnicode(module), ...shortUnicode(global), 0x93] : [0x63, ...new TextEncoder().encode(`${module}\n${global}\n`)];
        const pickle = new Uint8Array([0x80, 0x04, ...opening, ...rest]);
        const thrown = (() => {
          try {
            loadTorchPickle('data.pkl', pickle, new Map());
          } catch (error) {
            return error;
          }
          return undefined;
        })();
        expect(thrown).toBeInstanceOf(CheckpointError);
        expect((thrown as Error).message).toMatch(/refusing to load global|GLOBAL operand is not a newline-terminated name|string is not valid UTF-8/);
      }),
      { numRuns: 2_000, seed: SEED },
    );
  });
});
