/**
 * The objects `torch.save` pickles into data.pkl (torch/serialization.py `_save`,
 * torch/_utils.py, torch/_tensor.py `_reduce_ex_internal`):
 * - a tensor is `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
 *   requires_grad, backward_hooks[, metadata])`;
 * - an `nn.Parameter` wraps one: `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`;
 * - a state_dict is a `collections.OrderedDict`, whose BUILD state `{'_metadata': ...}` holds module versions;
 * - a storage is the persistent id `('storage', torch.<Type>Storage, key, location, numel)`,
 *   its bytes being the record `data/<key>`.
 *
 * These globals and the typed storage classes are the only ones allowed, and none is
 * ever run: the hooks below only record which storage range each tensor views.
 */
import { CheckpointError } from '../../errors.js';
import { DTYPE_BYTES, elementCount } from '../tensor.js';
import type { DType } from '../tensor.js';
import { formatDims } from './strided.js';
import { printable } from '../../util/format.js';
import { PickleDict, PickleObject, PickleTuple, pickleTypeName, quoted, unpickle } from './unpickle.js';
import type { PickleHooks, PickleValue } from './unpickle.js';

/** An allowed global other than a storage class. */
class AllowedGlobal extends PickleObject {
  constructor(readonly typeName: string) {
    super();
  }
}

/** A typed storage class such as `torch.FloatStorage`: only names a dtype. */
class StorageClass extends PickleObject {
  constructor(
    readonly typeName: string,
    readonly dtype: DType,
  ) {
    super();
  }
}

/** A storage record: `numel` elements of `dtype` in `data/<key>`. */
export class StorageRef extends PickleObject {
  readonly typeName = 'storage';

  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor: a strided view of a storage, not yet read. */
export class TensorRef extends PickleObject {
  readonly typeName = 'tensor';

  constructor(
    readonly storage: StorageRef,
    /** Storage offset of the first element, in elements. */
    readonly offset: number,
    readonly shape: readonly number[],
    /** Stride of each dimension, in elements. */
    readonly stride: readonly number[],
  ) {
    super();
  }
}

const ORDERED_DICT = new AllowedGlobal('collections.OrderedDict');
const REBUILD_TENSOR = new AllowedGlobal('torch._utils._rebuild_tensor_v2');
const REBUILD_PARAMETER = new AllowedGlobal('torch._utils._rebuild_parameter');

/** The legacy typed storage classes torch.save names in persistent ids. */
const STORAGE_CLASSES = new Map<string, StorageClass>(
  (
    [
      ['HalfStorage', 'F16'],
      ['BFloat16Storage', 'BF16'],
      ['FloatStorage', 'F32'],
      ['DoubleStorage', 'F64'],
      ['LongStorage', 'I64'],
      ['IntStorage', 'I32'],
      ['ShortStorage', 'I16'],
      ['CharStorage', 'I8'],
      ['ByteStorage', 'U8'],
      ['BoolStorage', 'BOOL'],
    ] as const
  ).map(([name, dtype]) => [name, new StorageClass(`torch.${name}`, dtype)]),
);

/** Keys a training checkpoint commonly keeps its model's state_dict under, in the order tried. */
const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net'] as const;

function findGlobal(module: string, name: string): PickleObject | undefined {
  if (module === 'collections' && name === 'OrderedDict') return ORDERED_DICT;
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return REBUILD_TENSOR;
  if (module === 'torch._utils' && name === '_rebuild_parameter') return REBUILD_PARAMETER;
  if (module === 'torch') return STORAGE_CLASSES.get(name);
  return undefined;
}

function isCount(value: PickleValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The elements of a tuple of non-negative integers, or undefined if `value` is not one. */
function counts(value: PickleValue): number[] | undefined {
  if (!(value instanceof PickleTuple) || !value.items.every(isCount)) return undefined;
  return value.items as number[];
}

/** Hooks that accept exactly what torch.save writes for tensors and state dicts. */
class TorchHooks implements PickleHooks {
  readonly findGlobal = findGlobal;

  constructor(
    private readonly file: string,
    private readonly storageSizes: ReadonlyMap<string, number>,
  ) {}

  call(callable: PickleValue, args: readonly PickleValue[]): PickleValue {
    if (callable === ORDERED_DICT) {
      if (args.length !== 0) throw new CheckpointError(this.file, 'collections.OrderedDict called with arguments; torch.save passes none');
      return new PickleDict();
    }
    if (callable === REBUILD_TENSOR) return this.rebuildTensor(args);
    if (callable === REBUILD_PARAMETER) {
      if (args.length !== 3 || !(args[0] instanceof TensorRef)) {
        throw new CheckpointError(this.file, '_rebuild_parameter needs (tensor, requires_grad, backward_hooks)');
      }
      return args[0];
    }
    throw new CheckpointError(this.file, `refusing to call ${pickleTypeName(callable)}`);
  }

  build(target: PickleValue, state: PickleValue): void {
    // An OrderedDict's state is its attribute dict; a state_dict's `_metadata` holds module versions, not tensors.
    if (target instanceof PickleDict && state instanceof PickleDict) return;
    throw new CheckpointError(this.file, `refusing to BUILD a ${pickleTypeName(target)} from a ${pickleTypeName(state)}`);
  }

  persistentLoad(pid: PickleValue): PickleValue {
    const items = pid instanceof PickleTuple ? pid.items : [];
    const [tag, storageClass, key, location, numel] = items;
    if (
      items.length !== 5 ||
      tag !== 'storage' ||
      !(storageClass instanceof StorageClass) ||
      typeof key !== 'string' ||
      typeof location !== 'string' ||
      !isCount(numel)
    ) {
      throw new CheckpointError(
        this.file,
        `unsupported persistent id (a ${pickleTypeName(pid)}); expected ('storage', torch.<Type>Storage, key, location, numel)`,
      );
    }
    const recordBytes = this.storageSizes.get(key);
    if (recordBytes === undefined) throw new CheckpointError(this.file, `storage ${quoted(key)} has no record data/${printable(key)}`);
    const needed = numel * DTYPE_BYTES[storageClass.dtype];
    if (needed > recordBytes) {
      throw new CheckpointError(
        this.file,
        `storage ${quoted(key)} declares ${numel} ${storageClass.dtype} elements (${needed} bytes) but its record holds ${recordBytes} bytes`,
      );
    }
    return new StorageRef(key, storageClass.dtype, numel);
  }

  private rebuildTensor(args: readonly PickleValue[]): TensorRef {
    const [storage, offset, size, stride] = args;
    const shape = counts(size);
    const strides = counts(stride);
    if (
      (args.length !== 6 && args.length !== 7) ||
      !(storage instanceof StorageRef) ||
      !isCount(offset) ||
      shape === undefined ||
      strides === undefined ||
      strides.length !== shape.length
    ) {
      throw new CheckpointError(
        this.file,
        '_rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]) ' +
          'with a non-negative integer offset and size and stride tuples of equal rank',
      );
    }
    if (elementCount(shape) === undefined) {
      throw new CheckpointError(this.file, `tensor on storage ${quoted(storage.key)} has shape ${formatDims(shape)}, over 2^40 elements`);
    }
    return new TensorRef(storage, offset, shape, strides);
  }
}

/**
 * Unpickles a torch data.pkl, allowing only the globals above. `storageSizes` gives the
 * byte size of each storage record, so that every storage's declared size is checked
 * before anything is read. Returns the top-level value, tensors as `TensorRef`s.
 */
export function loadTorchPickle(file: string, bytes: Uint8Array, storageSizes: ReadonlyMap<string, number>): PickleValue {
  return unpickle(file, bytes, new TorchHooks(file, storageSizes));
}

/** A state_dict entry. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: TensorRef;
}

function hasTensor(dict: PickleDict): boolean {
  for (const value of dict.items.values()) if (value instanceof TensorRef) return true;
  return false;
}

/** Longest key listing an error message shows. */
const MAX_LISTED_KEYS = 20;

function keyList(dict: PickleDict): string {
  const keys = [...dict.items.keys()]
    .slice(0, MAX_LISTED_KEYS)
    .map((k) => (typeof k === 'string' ? quoted(k) : `(a ${pickleTypeName(k)})`));
  if (keys.length === 0) return '(none)';
  const more = dict.items.size - keys.length;
  return keys.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** The tensor values of `dict` in insertion order; other values (ints, floats, ...) are skipped. */
function tensorsOf(file: string, dict: PickleDict): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const [key, value] of dict.items) {
    if (!(value instanceof TensorRef)) continue;
    if (typeof key !== 'string') throw new CheckpointError(file, `state_dict has a tensor under a non-string key (a ${pickleTypeName(key)})`);
    out.push({ name: key, tensor: value });
  }
  return out;
}

/**
 * Finds the state_dict in an unpickled checkpoint: the top-level dict itself if it holds
 * tensors (or is empty), else its value under `key`, else under the first of
 * `STATE_DICT_KEYS` that holds a dict of tensors. Returns its tensors in file order;
 * throws `CheckpointError` listing the top-level keys when none applies.
 */
export function selectStateDict(file: string, root: PickleValue, key?: string): NamedTensor[] {
  if (!(root instanceof PickleDict)) throw new CheckpointError(file, `checkpoint holds a ${pickleTypeName(root)}, not a dict of tensors`);
  if (key !== undefined) {
    if (!root.items.has(key)) throw new CheckpointError(file, `no top-level key ${quoted(key)}; top-level keys: ${keyList(root)}`);
    const value = root.items.get(key) as PickleValue;
    if (!(value instanceof PickleDict) || (value.items.size > 0 && !hasTensor(value))) {
      throw new CheckpointError(file, `top-level key ${quoted(key)} holds a ${pickleTypeName(value)} without tensors, not a state_dict`);
    }
    return tensorsOf(file, value);
  }
  if (root.items.size === 0 || hasTensor(root)) return tensorsOf(file, root);
  for (const candidate of STATE_DICT_KEYS) {
    const value = root.items.get(candidate);
    if (value instanceof PickleDict && hasTensor(value)) return tensorsOf(file, value);
  }
  throw new CheckpointError(
    file,
    `no state_dict found: top-level keys are ${keyList(root)}; pass the key that holds the model's tensors`,
  );
}
