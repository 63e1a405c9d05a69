/**
 * Writes the tfjs twins of the MLP and CNN import fixtures into test/fixtures/import/:
 * - <net>-tfjs-layers/: saved by TensorFlow.js itself (`model.save` through a save handler
 *   that writes model.json and weights.bin the way tfjs-node's `file://` handler does),
 *   after checking that the tfjs model computes the PyTorch model's output on the same input;
 * - <net>-tfjs-graph/: the graph format tfjs-converter writes (`tfjs_graph_model`), with the
 *   weights encoded by tfjs (`tf.io.encodeWeights`) and the GraphDef nodes a converted Keras
 *   model has (`MatMul`/`_FusedMatMul`, `_FusedConv2D` with fused BiasAdd, `MaxPool`,
 *   `Reshape`); the converter itself (Python) does not install here.
 * Run after scripts/make-import-fixtures.py, which writes nets.json:
 *     npx tsx scripts/make-tfjs-fixtures.ts
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const OUT = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'import');

interface NetWeights {
  input_shape: number[];
  layers: { name: string; class: string; weights: { role: string; shape: number[]; values: number[] }[] }[];
  input: number[];
  output: number[];
}

const nets = JSON.parse(readFileSync(join(OUT, 'nets.json'), 'utf8')) as Record<string, NetWeights>;

function build(name: string, net: NetWeights): tf.Sequential {
  const model = tf.sequential();
  if (name === 'mlp') {
    model.add(tf.layers.dense({ name: 'dense', units: 5, activation: 'relu', inputShape: net.input_shape }));
    model.add(tf.layers.dense({ name: 'dense_1', units: 3 }));
  } else {
    model.add(tf.layers.conv2d({ name: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: net.input_shape }));
    model.add(tf.layers.maxPooling2d({ name: 'max_pooling2d', poolSize: 2 }));
    model.add(tf.layers.conv2d({ name: 'conv2d_1', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }));
    model.add(tf.layers.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }));
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(tf.layers.dense({ name: 'dense', units: 3 }));
  }
  const weights = net.layers.flatMap((l) => l.weights.map((w) => tf.tensor(w.values, w.shape)));
  model.setWeights(weights);
  return model;
}

function writeModel(folder: string, model: object, data: ArrayBuffer): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), `${JSON.stringify(model, null, 1)}\n`);
  writeFileSync(join(folder, 'weights.bin'), new Uint8Array(data));
}

function fusedOps(...ops: string[]): object {
  return { list: { s: ops.map((op) => Buffer.from(op).toString('base64')) } };
}

async function graphModel(name: string, net: NetWeights): Promise<void> {
  const prefix = 'StatefulPartitionedCall/sequential';
  const constants: Record<string, tf.Tensor> = {};
  const nodes: object[] = [{ name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } }];
  let previous = 'input';
  for (const layer of net.layers) {
    const kernel = layer.weights.find((w) => w.role === 'kernel');
    const bias = layer.weights.find((w) => w.role === 'bias');
    const base = `${prefix}/${layer.name}`;
    if (layer.class === 'Dense' && kernel && bias) {
      constants[`${base}/MatMul/ReadVariableOp`] = tf.tensor(kernel.values, kernel.shape);
      constants[`${base}/BiasAdd/ReadVariableOp`] = tf.tensor(bias.values, bias.shape);
      if (layer.name === 'dense' && name === 'mlp') {
        nodes.push({ name: `${base}/MatMul`, op: 'MatMul', input: [previous, `${base}/MatMul/ReadVariableOp`], attr: { transpose_a: { b: false }, transpose_b: { b: false } } });
        nodes.push({ name: `${base}/BiasAdd`, op: 'BiasAdd', input: [`${base}/MatMul`, `${base}/BiasAdd/ReadVariableOp`] });
        nodes.push({ name: `${base}/Relu`, op: 'Relu', input: [`${base}/BiasAdd`] });
        previous = `${base}/Relu`;
      } else {
        nodes.push({ name: `${base}/BiasAdd`, op: '_FusedMatMul', input: [previous, `${base}/MatMul/ReadVariableOp`, `${base}/BiasAdd/ReadVariableOp`], attr: { fused_ops: fusedOps('BiasAdd'), transpose_b: { b: false } } });
        previous = `${base}/BiasAdd`;
      }
    } else if (layer.class === 'Conv2D' && kernel && bias) {
      constants[`${base}/Conv2D/ReadVariableOp`] = tf.tensor(kernel.values, kernel.shape);
      constants[`${base}/BiasAdd/ReadVariableOp`] = tf.tensor(bias.values, bias.shape);
      nodes.push({ name: `${base}/Relu`, op: '_FusedConv2D', input: [previous, `${base}/Conv2D/ReadVariableOp`, `${base}/BiasAdd/ReadVariableOp`], attr: { fused_ops: fusedOps('BiasAdd', 'Relu'), padding: { s: Buffer.from('SAME').toString('base64') } } });
      previous = `${base}/Relu`;
    } else if (layer.class === 'MaxPooling2D') {
      nodes.push({ name: `${base}/MaxPool`, op: 'MaxPool', input: [previous] });
      previous = `${base}/MaxPool`;
    } else if (layer.class === 'Flatten') {
      constants[`${base}/Const`] = tf.tensor([-1, 24], [2], 'int32');
      nodes.push({ name: `${base}/Reshape`, op: 'Reshape', input: [previous, `${base}/Const`] });
      previous = `${base}/Reshape`;
    }
  }
  for (const key of Object.keys(constants)) nodes.push({ name: key, op: 'Const', attr: { dtype: { type: constants[key].dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } });
  nodes.push({ name: 'Identity', op: 'Identity', input: [previous] });
  const { data, specs } = await tf.io.encodeWeights(constants);
  writeModel(
    join(OUT, `${name}-tfjs-graph`),
    {
      format: 'graph-model',
      generatedBy: '2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      signature: { inputs: { input: { name: 'input:0' } }, outputs: { output_0: { name: 'Identity:0' } } },
      modelTopology: { node: nodes, library: {}, versions: { producer: 1482 } },
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    },
    data,
  );
}

for (const [name, net] of Object.entries(nets)) {
  const model = build(name, net);
  const shape = [1, ...net.input_shape];
  const output = (model.predict(tf.tensor(net.input, shape)) as tf.Tensor).dataSync();
  const worst = Math.max(...net.output.map((v, i) => Math.abs(v - output[i])));
  if (!(worst < 1e-4)) throw new Error(`${name}: the tfjs model's output differs from PyTorch's by ${worst}`);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeModel(
        join(OUT, `${name}-tfjs-layers`),
        {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        },
        artifacts.weightData as ArrayBuffer,
      );
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  await graphModel(name, net);
  console.log(`${name}: tfjs output matches PyTorch (max |diff| ${worst.toExponential(2)})`);
}
