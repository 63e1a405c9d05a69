/**
 * A restricted unpickler for the opcodes `torch.save` emits: pickle protocol 2 (PEP 307)
 * and protocols 4 and 5 (PEP 3154, PEP 574); CPython's Lib/pickletools.py documents
 * each opcode's encoding.
 *
 * Unlike Python's `pickle.load` it never imports, constructs or calls anything by itself:
 * GLOBAL and STACK_GLOBAL resolve a name only through the caller's allowlist (any other
 * name is refused), REDUCE, BUILD and BINPERSID hand their operands to the caller's
 * hooks, and every other opcode builds plain data. The whole pickle is in memory and
 * every declared length is checked against it before anything is allocated.
 */
import { CheckpointError } from '../../errors.js';
import { printable } from '../../util/format.js';

/** A Python tuple. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict or OrderedDict, in insertion order (int and str keys compare by value). */
export class PickleDict {
  readonly items = new Map<PickleValue, PickleValue>();
}

/** Base of the values only an allowlist's hooks create: resolved globals and what calling them returns. */
export abstract class PickleObject {
  /** What the value is, for error messages (e.g. `torch.FloatStorage`). */
  abstract readonly typeName: string;
}

/**
 * An unpickled value. Python ints are numbers, or bigints outside the safe-integer range;
 * Python floats are numbers; str is string, bytes is Uint8Array, list is an array.
 */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleTuple | PickleDict | PickleObject;

/** What the unpickler delegates: everything that could otherwise run or build arbitrary objects. */
export interface PickleHooks {
  /** Returns the value GLOBAL `module`.`name` stands for, or undefined to refuse it. */
  findGlobal(module: string, name: string): PickleObject | undefined;
  /** Returns the result of calling `callable` with `args` (REDUCE). */
  call(callable: PickleValue, args: readonly PickleValue[]): PickleValue;
  /** Applies `state` to `target` (BUILD). */
  build(target: PickleValue, state: PickleValue): void;
  /** Returns the object persistent id `pid` refers to (BINPERSID). */
  persistentLoad(pid: PickleValue): PickleValue;
}

/** Returns the Python type name of a value, for error messages. */
export function pickleTypeName(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return 'dict';
  return value.typeName;
}

/** `text` in double quotes, made printable, for naming a key in a message. */
export function quoted(text: string): string {
  return `"${printable(text)}"`;
}

/** Opcode bytes (pickletools names; the printable ones are their ASCII letters). */
const OP = {
  MARK: 0x28, // (
  EMPTY_TUPLE: 0x29, // )
  STOP: 0x2e, // .
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

const HIGHEST_PROTOCOL = 5;

/** Longest GLOBAL module or name line accepted; real ones are dotted Python identifiers. */
const MAX_GLOBAL_LINE = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Unpickler {
  private pos = 0;
  /** Start of the opcode being executed, for error messages. */
  private opStart = 0;
  private stack: PickleValue[] = [];
  /** Stacks saved by MARK (CPython's metastack). */
  private readonly metastack: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly hooks: PickleHooks,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    while (this.pos < this.bytes.length) {
      this.opStart = this.pos;
      const op = this.bytes[this.pos++];
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version > HIGHEST_PROTOCOL) throw this.error(`unsupported pickle protocol ${version}`);
          break;
        }
        case OP.FRAME:
          // Frames only group opcodes for buffered reading; the whole pickle is already in memory.
          if (this.u64() > this.bytes.length - this.pos) throw this.error('frame extends past the end of the pickle');
          break;
        case OP.GLOBAL: {
          const module = this.line();
          this.push(this.findGlobal(module, this.line()));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.error('STACK_GLOBAL needs two strings');
          this.push(this.findGlobal(module, name));
          break;
        }
        case OP.BINPUT:
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.u32(), this.top());
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u8()));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.u32()));
          break;
        case OP.MARK:
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case OP.EMPTY_DICT:
          this.push(new PickleDict());
          break;
        case OP.EMPTY_LIST:
          this.push([]);
          break;
        case OP.EMPTY_TUPLE:
          this.push(new PickleTuple([]));
          break;
        case OP.TUPLE:
          this.push(new PickleTuple(this.popMark()));
          break;
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          const n = op - OP.TUPLE1 + 1;
          if (this.stack.length < n) throw this.error('stack underflow');
          this.push(new PickleTuple(this.stack.splice(this.stack.length - n, n)));
          break;
        }
        case OP.BININT:
          this.push(this.view.getInt32(this.take(4), true));
          break;
        case OP.BININT1:
          this.push(this.u8());
          break;
        case OP.BININT2:
          this.push(this.view.getUint16(this.take(2), true));
          break;
        case OP.LONG1:
          this.push(this.long(this.u8()));
          break;
        case OP.BINFLOAT:
          this.push(this.view.getFloat64(this.take(8), false));
          break;
        case OP.BINUNICODE:
          this.push(this.text(this.u32()));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.text(this.u8()));
          break;
        case OP.BINUNICODE8:
          this.push(this.text(this.u64()));
          break;
        case OP.BINBYTES:
          this.push(this.bytesOf(this.u32()));
          break;
        case OP.SHORT_BINBYTES:
          this.push(this.bytesOf(this.u8()));
          break;
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.APPEND: {
          const value = this.pop();
          this.list().push(value);
          break;
        }
        case OP.APPENDS: {
          const values = this.popMark();
          const list = this.list();
          for (const value of values) list.push(value);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.dict().items.set(key, value);
          break;
        }
        case OP.SETITEMS: {
          const values = this.popMark();
          if (values.length % 2 !== 0) throw this.error('SETITEMS needs key-value pairs');
          const dict = this.dict();
          for (let i = 0; i < values.length; i += 2) dict.items.set(values[i], values[i + 1]);
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.hooks.build(this.top(), state);
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          if (!(args instanceof PickleTuple)) throw this.error(`REDUCE arguments are a ${pickleTypeName(args)}, not a tuple`);
          this.push(this.hooks.call(callable, args.items));
          break;
        }
        case OP.BINPERSID:
          this.push(this.hooks.persistentLoad(this.pop()));
          break;
        case OP.STOP:
          return this.pop();
        default: {
          const glyph = op >= 0x20 && op < 0x7f ? ` (${JSON.stringify(String.fromCharCode(op))})` : '';
          throw this.error(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${glyph}`);
        }
      }
    }
    throw new CheckpointError(this.file, 'pickle ends without a STOP opcode (truncated?)');
  }

  private error(detail: string): CheckpointError {
    return new CheckpointError(this.file, `pickle byte ${this.opStart}: ${detail}`);
  }

  /** Advances past `n` bytes and returns where they start. */
  private take(n: number): number {
    if (n > this.bytes.length - this.pos) {
      throw this.error(`needs ${n} bytes but the pickle ends after ${this.bytes.length - this.pos} (truncated?)`);
    }
    const start = this.pos;
    this.pos += n;
    return start;
  }

  private u8(): number {
    return this.bytes[this.take(1)];
  }

  private u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  /** A u64 length; anything above 2^53 is beyond every in-memory pickle, so it is saturated rather than lost. */
  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  /** LONG1: an n-byte little-endian two's-complement integer. */
  private long(n: number): number | bigint {
    const start = this.take(n);
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[start + i]);
    if (n > 0 && this.bytes[start + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private text(n: number): string {
    const start = this.take(n);
    try {
      return utf8.decode(this.bytes.subarray(start, start + n));
    } catch {
      throw this.error('string is not valid UTF-8');
    }
  }

  private bytesOf(n: number): Uint8Array {
    const start = this.take(n);
    return this.bytes.slice(start, start + n);
  }

  /** A newline-terminated GLOBAL operand. */
  private line(): string {
    const length = this.bytes.subarray(this.pos, this.pos + MAX_GLOBAL_LINE + 1).indexOf(0x0a);
    if (length < 0) throw this.error('GLOBAL operand is not a newline-terminated name');
    return this.text(length + 1).slice(0, -1);
  }

  private findGlobal(module: string, name: string): PickleObject {
    const value = this.hooks.findGlobal(module, name);
    if (value === undefined) {
      throw this.error(`refusing to load global ${printable(`${module}.${name}`)} (only tensors and plain containers are loadable)`);
    }
    return value;
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) throw this.error(`memo entry ${index} was never stored`);
    return this.memo.get(index) as PickleValue;
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) throw this.error('stack underflow');
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    if (this.stack.length === 0) throw this.error('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  /** Pops everything above the most recent MARK, and the MARK. */
  private popMark(): PickleValue[] {
    const outer = this.metastack.pop();
    if (!outer) throw this.error('no MARK to pop to');
    const items = this.stack;
    this.stack = outer;
    return items;
  }

  private list(): PickleValue[] {
    const target = this.top();
    if (!Array.isArray(target)) throw this.error(`cannot append to a ${pickleTypeName(target)}`);
    return target;
  }

  private dict(): PickleDict {
    const target = this.top();
    if (!(target instanceof PickleDict)) throw this.error(`cannot set items on a ${pickleTypeName(target)}`);
    return target;
  }
}

/**
 * Unpickles `bytes` (from `file`, named in errors), resolving globals, calls, BUILD and
 * persistent ids only through `hooks`. Returns the pickled top-level value. Throws
 * `CheckpointError` for a refused global, an unsupported opcode or a malformed stream.
 */
export function unpickle(file: string, bytes: Uint8Array, hooks: PickleHooks): PickleValue {
  return new Unpickler(file, bytes, hooks).run();
}
