/**
 * The fuzzing harness: fast-check properties over every reader of ./readers.ts.
 *
 * Inputs are mutated seeds (truncations, byte overwrites, spliced chunks, extreme integers
 * written over any 1/2/4/8 bytes, and for JSON formats a value anywhere in the document
 * replaced by an odd one), text-level edits, and random bytes. Each case checks the
 * invariants of docs/RELIABILITY.md: the reader resolves or throws an `EpochgraphError`
 * (the CLI's exit code 2) and nothing else; it ends within `CASE_TIME_LIMIT_MS`; and no
 * single buffer it allocates exceeds the input's size or the memory limit the reader was
 * given (`FUZZ_LIMITS`), so that a header claiming a terabyte is refused before allocation.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpochgraphError } from '../../src/errors.js';
import { FUZZ_CHECKPOINT_BYTES } from './readers.js';
import type { FuzzedReader } from './readers.js';

/** A case slower than this fails: readers must refuse quickly, not work through absurd sizes. */
export const CASE_TIME_LIMIT_MS = 5_000;

/** Largest single allocation a case may make beyond its input's size, bytes. */
export const ALLOCATION_SLACK_BYTES = FUZZ_CHECKPOINT_BYTES;

/** Integers written over the input by the extreme-value mutation. */
const EXTREME_INTEGERS: readonly bigint[] = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 40n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
const WIDTHS = [1, 2, 4, 8] as const;

/** Values put anywhere in a JSON document. */
const ODD_JSON: readonly unknown[] = [null, true, 0, -0, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53 + 2, 1e21, '', 'x'.repeat(300), '\u0000', [], {}, [[]], { __proto__: null }, [1e308, -1], ['a', 1]];
/** Number spellings JSON.stringify never writes. */
const ODD_NUMBER_TEXT = ['1e400', '-1e400', '1e-400', '-0', '0.0000000000000000000001', '123456789012345678901234567890', '9007199254740993'];

/** YAML values a grid line's value is replaced with. */
const ODD_YAML = ['', '~', '-1', '0', '1e400', '.nan', '.inf', '1000000000', '9007199254740993', '[]', '{}', '[[]]', '"\\0"', '!!binary aGVsbG8=', '&a [1, *a]', '*undefined', '{choices: []}', '{uniform: [0, 1e308]}', '{log_uniform: [1e-300, 1e300]}', '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]', 'x'.repeat(2000), '{a: 1, a: 2}'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function overwriteInteger(bytes: Uint8Array, at: number, width: number, value: bigint, bigEndian: boolean): Uint8Array {
  const out = bytes.slice();
  if (out.length < width) return out;
  const start = at % (out.length - width + 1);
  for (let i = 0; i < width; i++) out[start + (bigEndian ? width - 1 - i : i)] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Every path to a value in a parsed JSON document. */
function jsonPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) jsonPaths(v, [...prefix, k], out);
  return out;
}

function replaceAt(root: unknown, path: readonly (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove && Array.isArray(node)) node.splice(last as number, 1);
  else if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

/** JSON-aware mutations: a value anywhere replaced (by an odd value or arbitrary JSON) or removed, or a number respelt. */
function jsonMutations(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array>[] {
  const documents = seeds.map((s) => JSON.parse(decoder.decode(s)) as unknown);
  const paths = documents.map((d) => jsonPaths(d));
  const pick = fc.nat({ max: documents.length - 1 }).chain((d) => fc.tuple(fc.constant(d), fc.nat({ max: paths[d].length - 1 })));
  const replacement = fc.oneof(fc.constantFrom(...ODD_JSON), fc.jsonValue({ maxDepth: 3 }));
  return [
    fc.tuple(pick, replacement, fc.boolean()).map(([[d, p], value, remove]) => encoder.encode(JSON.stringify(replaceAt(documents[d], paths[d][p], value, remove && paths[d][p].length > 0)))),
    fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.constantFrom(...ODD_NUMBER_TEXT)).map(([seed, k, spelling]) => {
      const text = decoder.decode(seed);
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
      if (numbers.length === 0) return seed;
      const match = numbers[k % numbers.length];
      return encoder.encode(text.slice(0, match.index) + spelling + text.slice((match.index ?? 0) + match[0].length));
    }),
  ];
}

/** Line-level text mutations: a line's value replaced by an odd YAML value, a line duplicated or dropped. */
function textMutations(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array>[] {
  const texts = seeds.map((s) => decoder.decode(s).split('\n'));
  return [
    fc.tuple(fc.nat({ max: texts.length - 1 }), fc.nat(), fc.oneof(fc.constantFrom(...ODD_YAML), fc.string({ maxLength: 40 })), fc.constantFrom('replace', 'duplicate', 'drop')).map(
      ([t, l, value, edit]) => {
        const lines = [...texts[t]];
        const i = l % lines.length;
        if (edit === 'duplicate') lines.splice(i, 0, lines[i]);
        else if (edit === 'drop') lines.splice(i, 1);
        else {
          const colon = lines[i].indexOf(':');
          lines[i] = colon < 0 ? `${lines[i]}${value}` : `${lines[i].slice(0, colon + 1)} ${value}`;
        }
        return encoder.encode(lines.join('\n'));
      },
    ),
  ];
}

/** The input arbitrary of a reader whose valid inputs are `seeds`. */
export function inputs(reader: FuzzedReader, seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const seed = fc.constantFrom(...seeds);
  const generic: fc.Arbitrary<Uint8Array>[] = [
    seed,
    fc.uint8Array({ maxLength: 2048 }),
    seed.chain((s) => fc.nat({ max: s.length }).map((n) => s.slice(0, n))),
    fc.tuple(seed, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 16 })).map(([s, edits]) => {
      const out = s.slice();
      for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
      return out;
    }),
    fc.tuple(seed, fc.nat(), fc.nat({ max: 256 }), fc.uint8Array({ maxLength: 256 })).map(([s, at, removed, inserted]) => {
      const start = s.length === 0 ? 0 : at % s.length;
      const out = new Uint8Array(s.length - Math.min(removed, s.length - start) + inserted.length);
      out.set(s.subarray(0, start));
      out.set(inserted, start);
      out.set(s.subarray(start + removed), start + inserted.length);
      return out;
    }),
    fc.tuple(seed, fc.nat(), fc.constantFrom(...WIDTHS), fc.constantFrom(...EXTREME_INTEGERS), fc.boolean()).map(([s, at, width, value, bigEndian]) =>
      overwriteInteger(s, at, width, value, bigEndian),
    ),
    // The first bytes of a seed (magic numbers, length prefixes) followed by noise.
    fc.tuple(seed, fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 1024 })).map(([s, keep, tail]) => {
      const head = s.subarray(0, keep);
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    }),
  ];
  const specific = reader.json ? jsonMutations(seeds) : reader.fileName.endsWith('.yaml') ? textMutations(seeds) : [];
  return fc.oneof(...generic, ...specific);
}

/** Largest `Buffer` allocation requested since the last `takeLargestAllocation()`. */
let largestAllocation = 0;
let instrumented = false;

/** Wraps Buffer's allocators to record the largest request (the readers allocate file data through them). */
export function instrumentAllocations(): void {
  if (instrumented) return;
  instrumented = true;
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[name] = (size: number, ...rest: unknown[]) => {
      if (size > largestAllocation) largestAllocation = size;
      return original.call(Buffer, size, ...rest);
    };
  }
}

/** Returns the largest allocation since the previous call, and resets it. */
export function takeLargestAllocation(): number {
  const value = largestAllocation;
  largestAllocation = 0;
  return value;
}

/** Tallies of a campaign over one reader. */
export interface CampaignResult {
  readonly reader: string;
  readonly cases: number;
  /** Inputs the reader accepted. */
  readonly accepted: number;
  /** Inputs refused with an `EpochgraphError`. */
  readonly refused: number;
  readonly slowestMs: number;
  readonly largestAllocation: number;
  readonly seconds: number;
  /** The first invariant broken (after shrinking), or undefined. */
  readonly failure?: { readonly message: string; readonly input: Uint8Array; readonly seed: number; readonly path?: string };
}

/** Runs one case; returns how it ended, or throws an `Error` saying which invariant it broke. */
export async function checkCase(reader: FuzzedReader, bytes: Uint8Array, dir: string): Promise<{ outcome: 'accepted' | 'refused'; ms: number; allocation: number }> {
  const file = join(dir, reader.fileName);
  writeFileSync(file, bytes);
  takeLargestAllocation();
  const started = performance.now();
  let outcome: 'accepted' | 'refused' = 'accepted';
  try {
    await reader.read(file, dir, bytes);
  } catch (error) {
    if (!(error instanceof EpochgraphError)) {
      throw new Error(`${reader.name}: not an EpochgraphError: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (error.exitCode !== 2) throw new Error(`${reader.name}: ${error.name} exits ${error.exitCode}, not 2`, { cause: error });
    if (/\n/.test(error.message)) throw new Error(`${reader.name}: message spans several lines: ${JSON.stringify(error.message)}`, { cause: error });
    outcome = 'refused';
  }
  const ms = performance.now() - started;
  const allocation = takeLargestAllocation();
  if (ms > CASE_TIME_LIMIT_MS) throw new Error(`${reader.name}: case took ${ms.toFixed(0)} ms, over the ${CASE_TIME_LIMIT_MS} ms bound`);
  if (allocation > bytes.length + ALLOCATION_SLACK_BYTES) {
    throw new Error(`${reader.name}: allocated ${allocation} bytes at once for a ${bytes.length}-byte input`);
  }
  return { outcome, ms, allocation };
}

/**
 * Runs `cases` fuzz cases against `reader` (fast-check seed `seed`). Returns the tallies;
 * a broken invariant is shrunk to a small input and reported in `failure`.
 */
export async function runCampaign(reader: FuzzedReader, cases: number, seed: number): Promise<CampaignResult> {
  instrumentAllocations();
  const seeds = await reader.seeds();
  const dir = mkdtempSync(join(tmpdir(), `epochgraph-fuzz-${reader.name}-`));
  let accepted = 0;
  let refused = 0;
  let slowestMs = 0;
  let largest = 0;
  let counting = true;
  const started = performance.now();
  try {
    const details = await fc.check(
      fc.asyncProperty(inputs(reader, seeds), async (bytes) => {
        let result;
        try {
          result = await checkCase(reader, bytes, dir);
        } catch (error) {
          counting = false; // shrinking runs that follow are not counted
          throw error;
        }
        if (!counting) return;
        if (result.outcome === 'accepted') accepted++;
        else refused++;
        slowestMs = Math.max(slowestMs, result.ms);
        largest = Math.max(largest, result.allocation);
      }),
      { numRuns: cases, seed, endOnFailure: false },
    );
    const seconds = (performance.now() - started) / 1000;
    const base = { reader: reader.name, cases: accepted + refused, accepted, refused, slowestMs, largestAllocation: largest, seconds };
    if (!details.failed) return base;
    const input = (details.counterexample?.[0] as Uint8Array | undefined) ?? new Uint8Array(0);
    const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    return { ...base, failure: { message, input, seed, path: details.counterexamplePath ?? undefined } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
