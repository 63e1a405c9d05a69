import { describe, expect, it } from 'vitest';
import { TensorRef, loadTorchPickle, selectStateDict } from '../../src/checkpoint/pytorch/torch-pickle.js';
import { PickleDict, PickleObject, PickleTuple, unpickle } from '../../src/checkpoint/pytorch/unpickle.js';
import type { PickleHooks, PickleValue } from '../../src/checkpoint/pytorch/unpickle.js';
import { CheckpointError } from '../../src/errors.js';
import { thrown } from '../helpers.js';

// A small pickle assembler: opcodes as bytes, operands encoded as pickletools documents them.
const utf8 = new TextEncoder();
type Part = number | readonly number[] | Uint8Array;

function pickle(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else out.push(...part);
  }
  return new Uint8Array(out);
}

function le(value: number | bigint, bytes: number): number[] {
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < bytes; i++, v >>= 8n) out.push(Number(v & 0xffn));
  return out;
}

const op = (name: string) => name.charCodeAt(0);
const PROTO2 = [0x80, 2];
const MARK = op('(');
const STOP = op('.');
const TUPLE = op('t');
const EMPTY_TUPLE = op(')');
const EMPTY_DICT = op('}');
const EMPTY_LIST = op(']');
const SETITEM = op('s');
const REDUCE = op('R');
const NEWFALSE = 0x89;

function str(text: string): number[] {
  const bytes = utf8.encode(text);
  return [op('X'), ...le(bytes.length, 4), ...bytes];
}

function int1(value: number): number[] {
  return [op('K'), value];
}

function global(module: string, name: string): number[] {
  return [op('c'), ...utf8.encode(`${module}\n${name}\n`)];
}

function stackGlobal(module: string, name: string): number[] {
  return [...str(module), ...str(name), 0x93];
}

class Named extends PickleObject {
  constructor(readonly typeName: string) {
    super();
  }
}

/** Hooks that allow only module `test`, and record calls and persistent ids as tuples. */
const HOOKS: PickleHooks = {
  findGlobal: (module, name) => (module === 'test' ? new Named(`${module}.${name}`) : undefined),
  call: (callable, args) => new PickleTuple(['called', callable, ...args]),
  build: () => {
    throw new Error('BUILD');
  },
  persistentLoad: (pid) => new PickleTuple(['pid', pid]),
};

function load(bytes: Uint8Array): PickleValue {
  return unpickle('t.pkl', bytes, HOOKS);
}

function refused(action: () => unknown, message: RegExp): void {
  const error = thrown(action);
  expect(error).toBeInstanceOf(CheckpointError);
  const text = (error as Error).message;
  expect(text).not.toContain('\n');
  expect(text).toMatch(message);
}

describe('restricted unpickler', () => {
  it('decodes scalars, strings and bytes', () => {
    const value = load(
      pickle(
        PROTO2,
        MARK,
        [op('J'), ...le(-5, 4)],
        int1(200),
        [op('M'), ...le(60000, 2)],
        [0x8a, 0],
        [0x8a, 1, 0xff],
        [0x8a, 9, ...le(2n ** 63n, 9)],
        [0x8a, 8, ...le(-(2n ** 63n), 8)],
        [op('G'), 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
        op('N'),
        0x88,
        NEWFALSE,
        str('héllo'),
        [0x8c, 1, op('a')],
        [0x8d, ...le(1, 8), op('b')],
        [op('B'), ...le(2, 4), 1, 2],
        [op('C'), 1, 3],
        TUPLE,
        STOP,
      ),
    );
    expect(value).toEqual(
      new PickleTuple([-5, 200, 60000, 0, -1, 2n ** 63n, -(2n ** 63n), 1.5, null, true, false, 'héllo', 'a', 'b', new Uint8Array([1, 2]), new Uint8Array([3])]),
    );
  });

  it('builds lists, dicts and tuples, with the memo shared by BINPUT, LONG_BINPUT and MEMOIZE', () => {
    const value = load(
      pickle(
        [0x80, 4],
        [0x95, ...le(0, 8)],
        MARK,
        EMPTY_LIST,
        [op('q'), 0],
        MARK,
        int1(1),
        int1(2),
        op('e'),
        int1(3),
        op('a'),
        EMPTY_DICT,
        [op('r'), ...le(70000, 4)],
        str('list'),
        [op('h'), 0],
        SETITEM,
        MARK,
        str('pair'),
        int1(7),
        0x94,
        0x85,
        str('self'),
        [op('j'), ...le(70000, 4)],
        str('memoized'),
        [op('h'), 2],
        str('t3'),
        int1(1),
        int1(2),
        int1(3),
        0x87,
        str('t2'),
        int1(1),
        int1(2),
        0x86,
        op('u'),
        TUPLE,
        STOP,
      ),
    ) as PickleTuple;
    const [list, dict] = value.items as [PickleValue[], PickleDict];
    expect(list).toEqual([1, 2, 3]);
    expect([...dict.items.keys()]).toEqual(['list', 'pair', 'self', 'memoized', 't3', 't2']);
    expect(dict.items.get('list')).toBe(list);
    expect(dict.items.get('self')).toBe(dict);
    expect(dict.items.get('memoized')).toBe(7);
    expect(dict.items.get('pair')).toEqual(new PickleTuple([7]));
    expect(dict.items.get('t3')).toEqual(new PickleTuple([1, 2, 3]));
    expect(dict.items.get('t2')).toEqual(new PickleTuple([1, 2]));
    expect(load(pickle(PROTO2, EMPTY_TUPLE, STOP))).toEqual(new PickleTuple([]));
  });

  it('resolves globals, calls and persistent ids only through its hooks', () => {
    const value = load(pickle([0x80, 4], stackGlobal('test', 'f'), int1(1), 0x85, REDUCE, int1(9), op('Q'), 0x86, STOP)) as PickleTuple;
    expect(value.items[0]).toEqual(new PickleTuple(['called', new Named('test.f'), 1]));
    expect(value.items[1]).toEqual(new PickleTuple(['pid', 9]));
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    ['a newer protocol', pickle(0x80, 6, op('N'), STOP), /pickle byte 0: unsupported pickle protocol 6/],
    ['an invalid opcode', pickle(PROTO2, 0xff), /pickle byte 2: unsupported pickle opcode 0xff$/],
    ['a text-protocol opcode', pickle(PROTO2, op('I'), utf8.encode('1\n'), STOP), /unsupported pickle opcode 0x49 \("I"\)/],
    ['no STOP', pickle(PROTO2, op('N')), /pickle ends without a STOP opcode/],
    ['a string longer than the pickle', pickle(PROTO2, op('X'), le(1000, 4), op('a'), op('b')), /needs 1000 bytes but the pickle ends after 2/],
    ['a 2^64-1 byte string', pickle(PROTO2, 0x8d, le(2n ** 64n - 1n, 8)), /needs 9007199254740991 bytes but the pickle ends after 0/],
    ['an oversized frame', pickle([0x80, 4], 0x95, le(2n ** 40n, 8), op('N'), STOP), /frame extends past the end/],
    ['a truncated operand', pickle(PROTO2, op('J'), 1, 2), /needs 4 bytes/],
    ['a memo miss', pickle(PROTO2, op('h'), 5, STOP), /memo entry 5 was never stored/],
    ['an empty stack', pickle(PROTO2, STOP), /stack underflow/],
    ['a TUPLE without MARK', pickle(PROTO2, op('N'), TUPLE, STOP), /no MARK to pop to/],
    ['too few items for TUPLE2', pickle(PROTO2, op('N'), 0x86, STOP), /stack underflow/],
    ['SETITEM on a list', pickle(PROTO2, EMPTY_LIST, int1(1), int1(2), SETITEM, STOP), /cannot set items on a list/],
    ['APPEND to a dict', pickle(PROTO2, EMPTY_DICT, op('N'), op('a'), STOP), /cannot append to a dict/],
    ['an odd SETITEMS', pickle(PROTO2, EMPTY_DICT, MARK, int1(1), op('u'), STOP), /SETITEMS needs key-value pairs/],
    ['REDUCE without a tuple', pickle(PROTO2, global('test', 'f'), int1(1), REDUCE, STOP), /REDUCE arguments are a int, not a tuple/],
    ['a refused GLOBAL', pickle(PROTO2, global('os', 'system'), STOP), /pickle byte 2: refusing to load global os\.system/],
    ['a refused STACK_GLOBAL', pickle([0x80, 4], stackGlobal('builtins', 'eval'), STOP), /refusing to load global builtins\.eval/],
    ['a control character in a global', pickle([0x80, 4], stackGlobal('os', 'sys\ntem'), STOP), /refusing to load global os\.sys\\x0atem/],
    ['STACK_GLOBAL on non-strings', pickle([0x80, 4], int1(1), int1(2), 0x93, STOP), /STACK_GLOBAL needs two strings/],
    ['an unterminated GLOBAL', pickle(PROTO2, op('c'), utf8.encode('os')), /GLOBAL operand is not a newline-terminated name/],
    ['invalid UTF-8', pickle(PROTO2, op('X'), le(1, 4), 0xff, STOP), /string is not valid UTF-8/],
  ];
  for (const [name, bytes, message] of malformed) {
    it(`refuses ${name}`, () => {
      refused(() => load(bytes), message);
    });
  }
});

describe('torch pickle objects', () => {
  const SIZES = new Map([['0', 16]]);

  function storage(numel = 4, type = 'FloatStorage'): number[] {
    return [MARK, ...str('storage'), ...global('torch', type), ...str('0'), ...str('cpu'), ...int1(numel), TUPLE, op('Q')];
  }

  const orderedDict = [...global('collections', 'OrderedDict'), EMPTY_TUPLE, REDUCE];

  /** `_rebuild_tensor_v2` of a 2x2 view with the given trailing arguments. */
  function tensor(extra: readonly number[] = [], stride: readonly number[] = [2, 1]): number[] {
    return [
      ...global('torch._utils', '_rebuild_tensor_v2'),
      MARK,
      ...storage(),
      ...int1(0),
      ...int1(2),
      ...int1(2),
      0x86,
      ...int1(stride[0]),
      ...int1(stride[1]),
      0x86,
      NEWFALSE,
      ...orderedDict,
      ...extra,
      TUPLE,
      REDUCE,
    ];
  }

  function stateDict(...items: number[][]): Uint8Array {
    return pickle(PROTO2, orderedDict, MARK, ...items.flat(), op('u'), EMPTY_DICT, str('_metadata'), orderedDict, SETITEM, op('b'), STOP);
  }

  function load(bytes: Uint8Array): PickleValue {
    return loadTorchPickle('t.pt', bytes, SIZES);
  }

  it('reads an OrderedDict state_dict with _metadata, parameters, and the 7-argument _rebuild_tensor_v2', () => {
    const parameter = [...global('torch._utils', '_rebuild_parameter'), ...tensor(), 0x88, ...orderedDict, 0x87, REDUCE];
    const root = load(
      stateDict([...str('a'), ...tensor([EMPTY_DICT])], [...str('step'), ...int1(3)], [...str('b'), ...parameter], [...str('c'), ...tensor([], [1, 2])]),
    );
    const named = selectStateDict('t.pt', root);
    expect(named.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    const c = named[2].tensor;
    expect(c).toBeInstanceOf(TensorRef);
    expect([c.storage.key, c.storage.dtype, c.storage.numel, c.offset, c.shape, c.stride]).toEqual(['0', 'F32', 4, 0, [2, 2], [1, 2]]);
    expect(selectStateDict('t.pt', load(pickle(PROTO2, EMPTY_DICT, STOP)))).toEqual([]);
  });

  const refusedPickles: [string, Uint8Array, RegExp][] = [
    ['a non-storage torch global', pickle(PROTO2, global('torch', 'Tensor'), STOP), /refusing to load global torch\.Tensor/],
    ['calling a storage class', pickle(PROTO2, global('torch', 'FloatStorage'), EMPTY_TUPLE, REDUCE, STOP), /refusing to call torch\.FloatStorage/],
    ['OrderedDict with arguments', pickle(PROTO2, global('collections', 'OrderedDict'), int1(1), 0x85, REDUCE, STOP), /OrderedDict called with arguments/],
    ['BUILD on a list', pickle(PROTO2, EMPTY_LIST, EMPTY_DICT, op('b'), STOP), /refusing to BUILD a list from a dict/],
    ['a persistent id that is not a storage tuple', pickle(PROTO2, int1(1), op('Q'), STOP), /unsupported persistent id \(a int\)/],
    ['a storage of unknown type', pickle(PROTO2, storage(4, 'QInt8Storage'), STOP), /refusing to load global torch\.QInt8Storage/],
    [
      '_rebuild_tensor_v2 with five arguments',
      pickle(PROTO2, global('torch._utils', '_rebuild_tensor_v2'), MARK, storage(), int1(0), EMPTY_TUPLE, EMPTY_TUPLE, NEWFALSE, TUPLE, REDUCE, STOP),
      /_rebuild_tensor_v2 needs/,
    ],
    [
      '_rebuild_parameter of a non-tensor',
      pickle(PROTO2, global('torch._utils', '_rebuild_parameter'), int1(1), NEWFALSE, orderedDict, 0x87, REDUCE, STOP),
      /_rebuild_parameter needs/,
    ],
  ];
  for (const [name, bytes, message] of refusedPickles) {
    it(`refuses ${name}`, () => {
      refused(() => load(bytes), message);
    });
  }

  it('refuses a top level that is not a dict, and tensors under non-string keys', () => {
    refused(() => selectStateDict('t.pt', load(pickle(PROTO2, EMPTY_LIST, STOP))), /t\.pt: checkpoint holds a list, not a dict of tensors/);
    refused(() => selectStateDict('t.pt', load(pickle(PROTO2, EMPTY_DICT, int1(0), tensor(), SETITEM, STOP))), /tensor under a non-string key \(a int\)/);
  });

  it('lists at most 20 top-level keys when asking for one', () => {
    const items = Array.from({ length: 25 }, (_, i) => [...str(`k${i}`), ...int1(i)]);
    refused(() => selectStateDict('t.pt', load(pickle(PROTO2, EMPTY_DICT, MARK, ...items.flat(), op('u'), STOP))), /"k19" and 5 more; pass the key/);
  });
});
