/**
 * Keras weight files: HDF5 (`.h5`, `.weights.h5`) and the Keras 3 `.keras` zip archive,
 * read with h5wasm (the HDF5 C library compiled to WebAssembly, no native build or
 * download at install time), converted to PyTorch's names and layout (keras-layout.ts).
 *
 * Layouts (keras/src/legacy/saving/legacy_h5_format.py and keras/src/saving/saving_lib.py):
 * - Keras 2 / tf.keras HDF5: the weights live in the root group (`save_weights`) or in
 *   `model_weights` (`model.save`). Its attribute `layer_names` lists the layers in model
 *   order; each layer group's attribute `weight_names` lists its weights (`dense/kernel:0`),
 *   which are datasets at those paths inside the layer group. `model.save` also stores the
 *   model's JSON in the root attribute `model_config`.
 * - Keras 3 `.weights.h5`: `layers/<name>/vars/<i>` datasets, variables in creation order
 *   (kernel then bias; gamma, beta, moving mean, moving variance). The `.keras` archive holds
 *   it as `model.weights.h5` beside `config.json`, whose layer list gives model order and
 *   each layer's class. A bare `.weights.h5` has no config: HDF5 lists groups alphabetically,
 *   so layers are taken in natural order of their names.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { Dataset, Group } from 'h5wasm/node';
import { CheckpointError } from '../errors.js';
import { compareNatural } from '../util/natural-sort.js';
import type { CheckpointReader, ParameterOrder } from './checkpoint.js';
import { openForReading } from './file.js';
import { kerasToPytorch, roleOfWeightName, rolesByPosition } from './keras-layout.js';
import type { KerasLayer, KerasWeight } from './keras-layout.js';
import { memoryReader } from './memory-reader.js';
import type { DType, TensorData } from './tensor.js';
import { openZipMembers } from './zip-members.js';

/** The 8-byte signature an HDF5 file starts with (HDF5 File Format Specification, superblock). */
export const HDF5_MAGIC = Object.freeze([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reader defaults. */
export const KERAS_DEFAULTS = Object.freeze({
  /** Parameter order: model order (layer_names or config.json), which carries the network's structure. */
  order: 'file' as ParameterOrder,
});

/** Options of `openKeras`. */
export interface KerasOpenOptions {
  order?: ParameterOrder;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The layers (name, class) listed by a Keras model config, in model order. */
export function configLayers(config: unknown): { name: string; className: string }[] {
  const root = isObject(config) && isObject(config.config) ? config.config : undefined;
  const layers = root && Array.isArray(root.layers) ? root.layers : [];
  const out: { name: string; className: string }[] = [];
  for (const layer of layers) {
    if (!isObject(layer) || typeof layer.class_name !== 'string') continue;
    const name = isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : typeof layer.name === 'string' ? layer.name : undefined;
    if (name) out.push({ name, className: layer.class_name });
    // Nested models (a Sequential inside a Functional) list their own layers.
    if (layer.class_name === 'Sequential' || layer.class_name === 'Functional') out.push(...configLayers(layer));
  }
  return out;
}

/** h5wasm dtype string -> our dtype. */
function dtypeOf(file: string, path: string, dtype: unknown): DType {
  const map: Record<string, DType> = { '<f': 'F32', '<d': 'F64', '<e': 'F16', '<b': 'I8', '<B': 'U8', '<h': 'I16', '<i': 'I32', '<q': 'I64' };
  const found = typeof dtype === 'string' ? map[dtype] : undefined;
  if (!found) throw new CheckpointError(file, `dataset ${path}: unsupported element type ${JSON.stringify(dtype)}`);
  return found;
}

function readDataset(file: string, dataset: Dataset, role: string): KerasWeight {
  const dtype = dtypeOf(file, dataset.path, dataset.dtype);
  const shape = dataset.shape ?? [];
  const value = dataset.value;
  if (!ArrayBuffer.isView(value)) throw new CheckpointError(file, `dataset ${dataset.path}: not a numeric array`);
  return { role, dtype, shape, data: value as unknown as TensorData };
}

function textAttribute(group: Group, name: string): string | undefined {
  const attribute = group.attrs[name];
  if (!attribute) return undefined;
  const value = attribute.value;
  return typeof value === 'string' ? value : value instanceof Uint8Array ? new TextDecoder().decode(value) : undefined;
}

function listAttribute(group: Group, name: string): string[] | undefined {
  const attribute = group.attrs[name];
  if (!attribute) return undefined;
  const value = attribute.json_value;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** Layers of a Keras 2 HDF5 weight group (`layer_names` / `weight_names` attributes). */
function keras2Layers(file: string, root: Group, classes: ReadonlyMap<string, string>): KerasLayer[] {
  const names = listAttribute(root, 'layer_names') as string[];
  return names.map((name) => {
    const group = root.get(name);
    if (!(group instanceof h5wasm.Group)) throw new CheckpointError(file, `layer_names lists ${JSON.stringify(name)}, but there is no such group`);
    const weightNames = listAttribute(group, 'weight_names') ?? [];
    const weights = weightNames.map((weightName) => {
      const dataset = group.get(weightName);
      if (!(dataset instanceof h5wasm.Dataset)) throw new CheckpointError(file, `layer ${JSON.stringify(name)}: weight ${JSON.stringify(weightName)} is not a dataset`);
      return readDataset(file, dataset, roleOfWeightName(weightName));
    });
    return { name, className: classes.get(name), weights };
  });
}

/** Layers of a Keras 3 weights file: every group holding a `vars` group, by path. */
function keras3Layers(file: string, root: Group, classes: ReadonlyMap<string, string>, order: readonly string[]): KerasLayer[] {
  const found: { name: string; vars: Group }[] = [];
  const walk = (group: Group): void => {
    for (const key of group.keys()) {
      const child = group.get(key);
      if (!(child instanceof h5wasm.Group)) continue;
      if (key === 'vars') {
        if (child.keys().length > 0) found.push({ name: group.path.split('/').at(-1) as string, vars: child });
      } else {
        walk(child);
      }
    }
  };
  walk(root);
  const position = new Map(order.map((name, i) => [name, i]));
  found.sort((a, b) => (position.get(a.name) ?? Infinity) - (position.get(b.name) ?? Infinity) || compareNatural(a.name, b.name));
  return found.map(({ name, vars }) => {
    const datasets = vars
      .keys()
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => {
        const dataset = vars.get(key);
        if (!(dataset instanceof h5wasm.Dataset)) throw new CheckpointError(file, `${vars.path}/${key} is not a dataset`);
        return dataset;
      });
    const className = classes.get(name);
    const roles = rolesByPosition(className, datasets.map((d) => d.shape ?? []));
    return { name, className, weights: datasets.map((d, i) => readDataset(file, d, roles[i])) };
  });
}

/** Reads the Keras layers of an HDF5 file on disk; `config` is a `.keras` archive's config.json. */
async function readHdf5Layers(file: string, hdf5Path: string, config: unknown): Promise<{ layers: KerasLayer[]; metadata: Record<string, string> }> {
  // HDF5 errors become exceptions instead of diagnostics printed on stderr.
  (await h5wasm.ready).activate_throwing_error_handler();
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(hdf5Path, 'r');
  } catch (error) {
    throw new CheckpointError(file, `not a readable HDF5 file (${hdf5Reason(error)})`);
  }
  try {
    const metadata: Record<string, string> = {};
    for (const key of ['keras_version', 'backend']) {
      const value = textAttribute(h5, key);
      if (value !== undefined) metadata[`keras.${key}`] = value;
    }
    let modelConfig = config;
    const configText = textAttribute(h5, 'model_config');
    if (modelConfig === undefined && configText !== undefined) {
      try {
        modelConfig = JSON.parse(configText);
      } catch {
        throw new CheckpointError(file, 'the model_config attribute is not valid JSON');
      }
    }
    const listed = configLayers(modelConfig);
    const classes = new Map(listed.map((l) => [l.name, l.className]));
    const weightsGroup = h5.get('model_weights');
    const root = weightsGroup instanceof h5wasm.Group ? weightsGroup : h5;
    if (root.attrs.layer_names) return { layers: keras2Layers(file, root, classes), metadata };
    if (root.get('layers') instanceof h5wasm.Group) return { layers: keras3Layers(file, root, classes, listed.map((l) => l.name)), metadata };
    throw new CheckpointError(file, 'HDF5 file is not a Keras weight file: no layer_names attribute (Keras 2) and no layers group (Keras 3)');
  } catch (error) {
    throw error instanceof CheckpointError ? error : new CheckpointError(file, `corrupt HDF5 file (${hdf5Reason(error)})`);
  } finally {
    h5.close();
  }
}

/** The innermost reason of an HDF5 error stack (`... in H5F__super_read(): truncated file: ...`), on one line. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const reasons = [...text.matchAll(/in \w+\(\): (.+)/g)].map((m) => m[1].trim());
  return reasons.at(-1) ?? (text.split('\n')[0].trim() || 'unknown HDF5 error');
}

/**
 * Opens a Keras weight file (`.h5`, `.weights.h5`) or a `.keras` archive and converts its
 * weights to PyTorch's names and layout. Everything is read at open (Keras models that
 * fit in HDF5 weight files are small next to memory). Returns a reader; throws
 * `CheckpointError` for a file that is not a readable Keras model.
 */
export async function openKeras(file: string, options: KerasOpenOptions = {}): Promise<CheckpointReader> {
  const order = options.order ?? KERAS_DEFAULTS.order;
  const handle = await openForReading(file);
  let layers: KerasLayer[];
  let metadata: Record<string, string>;
  try {
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    if (HDF5_MAGIC.every((b, i) => head[i] === b)) {
      ({ layers, metadata } = await readHdf5Layers(file, file, undefined));
    } else {
      const members = await openZipMembers(file, handle, (await handle.stat()).size);
      let weights: Uint8Array;
      let config: unknown;
      try {
        if (!members.names.includes('model.weights.h5')) throw new CheckpointError(file, 'zip archive is not a .keras model: no model.weights.h5');
        weights = await members.read('model.weights.h5');
        if (members.names.includes('config.json')) {
          try {
            config = JSON.parse(new TextDecoder().decode(await members.read('config.json')));
          } catch (error) {
            throw error instanceof CheckpointError ? error : new CheckpointError(file, 'config.json is not valid JSON');
          }
        }
      } finally {
        members.close();
      }
      // HDF5 needs a file; the archive's member goes to a private temporary folder.
      const folder = await mkdtemp(join(tmpdir(), 'epochgraph-keras-'));
      try {
        const hdf5Path = join(folder, 'model.weights.h5');
        await writeFile(hdf5Path, weights);
        ({ layers, metadata } = await readHdf5Layers(`${file}:model.weights.h5`, hdf5Path, config));
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }
  } finally {
    await handle.close();
  }
  const tensors = kerasToPytorch(
    layers.filter((l) => l.weights.length > 0),
    (detail) => new CheckpointError(file, detail),
  );
  if (order === 'natural') tensors.sort((a, b) => compareNatural(a.name, b.name));
  return memoryReader(file, 'keras', tensors, metadata);
}
