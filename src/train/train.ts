/**
 * Trains one configuration and writes it as a run directory (docs/run-format.md):
 * a checkpoint at epoch 0 (the initialisation) and after every epoch, then run.json.
 *
 * - Minibatch SGD with momentum (PyTorch semantics: v = m v + g; w -= lr v) or Adam
 *   (PyTorch's bias corrections and ε); L2 weight decay added to every gradient, as
 *   PyTorch's `weight_decay` (./optimizers.ts).
 * - History: epoch 0 is an evaluation pass of the initial weights on train and test;
 *   for epoch e >= 1, train_loss / train_acc are the means over that epoch's minibatches
 *   (what training logs show and what TSE sums), test_* an evaluation pass afterwards.
 *   `eval_limit` N evaluates a fixed subset of N images of each split instead of all of
 *   it: the same images in every epoch and every run (drawn from `EVAL_SUBSET_SEED`, not
 *   the run's seed), so runs stay comparable while evaluation costs N images' forward passes.
 * - Divergence: a non-finite minibatch loss ends training; the epoch is recorded with
 *   train_loss null, its weights are checkpointed, and run.json carries diverged_at_epoch.
 * - Determinism: initial weights, shuffling and dropout all derive from `config.seed`,
 *   and the wasm backend runs single-threaded, so a configuration reproduces exactly:
 *   checkpoints byte for byte, run.json but for the wall-clock `seconds` of its history
 *   (each epoch's training, evaluation and checkpoint, which pruning replays weigh).
 * - run.json is written last and atomically: a directory without it is an unfinished run.
 * - Resuming (`resume`): after each epoch the full training state is saved (./resume.ts), and
 *   an interrupted run continues after its last complete epoch, with the same result.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfig } from '../checkpoint/run-config.js';
import { CHECKPOINT_DIR, RUN_FILE, checkpointFileName, listRunCheckpoints } from '../checkpoint/run.js';
import type { HistoryEntry, RunManifest } from '../checkpoint/run.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { ARCHITECTURE_METADATA_KEY } from '../graph/architecture-source.js';
import type { ArchitectureSpec } from '../graph/architecture.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { createRng, samplePrefixInPlace, shuffleInPlace } from '../util/random.js';
import { useTrainingBackend } from './backend.js';
import { keepsEpoch, parseCheckpointPolicy } from './checkpoint-policy.js';
import type { CheckpointPolicy } from './checkpoint-policy.js';
import { programOf } from './config.js';
import { loadDataset } from './datasets/index.js';
import type { Dataset, Split } from './datasets/index.js';
import { Model } from './model.js';
import { softmaxCrossEntropy } from './ops/index.js';
import { DEFAULTS as ADAM_DEFAULTS, Adam, MomentumSgd } from './optimizers.js';
import type { TrainingOptimizer } from './optimizers.js';
import { removeResumeState, restoreResumeState, writeResumeState } from './resume.js';
import { programToArchitectureSpec } from './spec.js';

/** Progress events, for progress bars and JSON lines. */
export type TrainProgress =
  | { type: 'batch'; epoch: number; batch: number; batches: number }
  | { type: 'epoch'; epoch: number; epochs: number; entry: HistoryEntry; seconds: number };

/** Options of `trainRun`. */
export interface TrainOptions {
  /** The run directory to write. */
  out: string;
  /** The run's id (default: the directory's name). */
  id?: string;
  /** Directory holding dataset files (see `loadDataset`). */
  dataDir?: string;
  /** Train on this dataset instead of loading `config.dataset` (library use: your own arrays). */
  dataset?: Dataset;
  /** Which checkpoints to keep (default: all). */
  keepCheckpoints?: CheckpointPolicy;
  /**
   * Save the training state after every epoch, and continue an interrupted attempt of the same
   * configuration from its last complete epoch instead of starting over (default false).
   */
  resume?: boolean;
  onProgress?: (event: TrainProgress) => void;
}

/** What run.json records beyond the format's required fields. Everything in it but the history's `seconds` is deterministic. */
export interface TrainedRun extends RunManifest {
  /** The graph engine's architecture spec of the trained network. */
  readonly architecture: ArchitectureSpec;
  readonly training: { readonly backend: string; readonly keep_checkpoints: string };
}

/** The run's total wall-clock time (loading the data included), in timing.json; each epoch's is in run.json's history. */
export interface RunTiming {
  readonly seconds: number;
  /** The epoch an interrupted attempt had completed, when this one resumed from it. */
  readonly resumed_from_epoch?: number;
}

export const TIMING_FILE = 'timing.json';

const EVAL_BATCH = 500;
/** Batch-norm running-average momentum (PyTorch's default). */
const BN_MOMENTUM = 0.1;

/** Gathers the images at `indices[from..to)` into an NHWC batch tensor. */
export function batchImages(dataset: Dataset, split: Split, indices: ArrayLike<number>, from: number, to: number): tf.Tensor4D {
  const size = dataset.height * dataset.width * dataset.channels;
  const data = new Float32Array((to - from) * size);
  for (let k = from; k < to; k++) data.set(split.images.subarray(indices[k] * size, (indices[k] + 1) * size), (k - from) * size);
  return tf.tensor4d(data, [to - from, dataset.height, dataset.width, dataset.channels]);
}

/** The class labels of `indices[from..to)`. */
export function batchLabels(split: Split, indices: ArrayLike<number>, from: number, to: number): Int32Array {
  const labels = new Int32Array(to - from);
  for (let k = from; k < to; k++) labels[k - from] = split.labels[indices[k]];
  return labels;
}

/** Returns one-hot float rows [labels.length, classes] of class indices `labels`. */
export function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  const rows = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => (rows[i * classes + label] = 1));
  return tf.tensor2d(rows, [labels.length, classes]);
}

/** Counts the rows of `logits` ([N, classes] row-major) whose largest value is at the row's label (first maximum wins, as argMax). */
export function countCorrect(logits: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[n * classes + c] > logits[n * classes + best]) best = c;
    if (best === labels[n]) correct++;
  }
  return correct;
}

/** Seeds the evaluation subsets: fixed, so that every run of a zoo is evaluated on the same images. */
export const EVAL_SUBSET_SEED = 0x5eed;

/**
 * The images of a split that evaluations use: all of them in order, or, when `limit` is
 * smaller than the split, a uniform sample of `limit` drawn from `EVAL_SUBSET_SEED`, in
 * ascending order. Returns split indices.
 */
export function evaluationIndices(count: number, limit: number | null): Uint32Array {
  const all = Uint32Array.from({ length: count }, (_, i) => i);
  if (limit === null || limit >= count) return all;
  return samplePrefixInPlace(all, limit, createRng(EVAL_SUBSET_SEED)).subarray(0, limit).sort();
}

/** Mean cross-entropy and accuracy of `model` on the images `order` of a split, in evaluation mode. Non-finite loss becomes null. */
function evaluate(model: Model, dataset: Dataset, split: Split, order: Uint32Array): { loss: number | null; acc: number } {
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < order.length; from += EVAL_BATCH) {
    const to = Math.min(order.length, from + EVAL_BATCH);
    const labels = batchLabels(split, order, from, to);
    const [loss, logits] = tf.tidy(() => {
      const out = model.forward(batchImages(dataset, split, order, from, to), false);
      return [softmaxCrossEntropy(out, oneHot(labels, dataset.classes)).dataSync()[0], out.dataSync() as Float32Array];
    });
    lossSum += loss * (to - from);
    correct += countCorrect(logits, labels, dataset.classes);
  }
  const loss = lossSum / order.length;
  return { loss: Number.isFinite(loss) ? loss : null, acc: correct / order.length };
}

/** The optimizer of `config` over `variables`: SGD with momentum or Adam, PyTorch semantics, weight decay included. */
export function makeOptimizer(
  config: Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'weight_decay'>,
  variables: readonly tf.Variable[],
): TrainingOptimizer {
  const weightDecay = config.weight_decay;
  return config.optimizer === 'adam'
    ? new Adam(variables, { ...ADAM_DEFAULTS, lr: config.lr, weightDecay })
    : new MomentumSgd(variables, { lr: config.lr, momentum: config.momentum, weightDecay });
}

/**
 * A training step for `model`: forward, backward, optimizer update (weight decay
 * included) and batch-norm running statistics, on NHWC `images` with class indices
 * `labels`. Call it inside `tf.tidy`. Returns the minibatch's mean loss and its count of
 * correct predictions; a non-finite loss leaves the weights untouched.
 */
export function createTrainStep(
  model: Model,
  optimizer: TrainingOptimizer,
): (images: tf.Tensor4D, labels: Int32Array, dropoutSeed: number) => [loss: number, correct: number] {
  const classes = model.program.classes;
  return (x, labels, dropoutSeed) => {
    const y = oneHot(labels, classes);
    let logits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      // Kept: variableGrads disposes everything else its function creates.
      logits = tf.keep(model.forward(x, true, dropoutSeed));
      return softmaxCrossEntropy(logits as tf.Tensor2D, y);
    }, model.variables);
    const lossValue = value.dataSync()[0];
    const hitCount = countCorrect((logits as tf.Tensor).dataSync() as Float32Array, labels, classes);
    (logits as tf.Tensor).dispose();
    if (!Number.isFinite(lossValue)) {
      model.dropBatchNormUpdates();
      return [lossValue, 0];
    }
    optimizer.applyGradients(grads);
    model.commitBatchNorm(BN_MOMENTUM);
    return [lossValue, hitCount];
  };
}

/**
 * Trains `config` and writes the run directory `options.out`.
 * Returns the manifest written to run.json.
 */
export async function trainRun(config: TrainConfig, options: TrainOptions): Promise<TrainedRun & { timing: RunTiming }> {
  await useTrainingBackend();
  const started = performance.now();
  const policy = options.keepCheckpoints ?? parseCheckpointPolicy('all');
  const dataset = options.dataset ?? (await loadDataset(config.dataset, { dataDir: options.dataDir, trainLimit: config.train_limit ?? undefined }));
  const program = programOf(config, dataset, dataset.classes);
  const checkpointDir = join(options.out, CHECKPOINT_DIR);
  // run.json goes first: if this attempt dies, the directory reads as unfinished, never as a finished
  // run beside another attempt's checkpoints.
  await rm(join(options.out, RUN_FILE), { force: true });
  let rng = createRng(config.seed);
  const model = new Model(program, config.init, rng);
  const optimizer = makeOptimizer(config, model.variables);
  const resumed = options.resume ? await restoreResumeState(options.out, config, policy.text, model, optimizer) : undefined;
  if (resumed) rng = createRng(config.seed, resumed.rng);
  else {
    // A previous attempt's checkpoints go: the run is deterministic.
    for (const stale of await listRunCheckpoints(options.out)) await rm(stale.path, { force: true });
    await removeResumeState(options.out);
  }
  const step = createTrainStep(model, optimizer);
  const architecture = programToArchitectureSpec(program);
  const metadata = { producer: 'epochgraph train', [ARCHITECTURE_METADATA_KEY]: JSON.stringify(architecture) };
  const history: HistoryEntry[] = [...(resumed?.history ?? [])];
  const saveCheckpoint = async (epoch: number) => {
    await writeSafetensors(join(checkpointDir, checkpointFileName(epoch)), model.stateDict(), { ...metadata, epoch: String(epoch) });
    if (epoch > 0 && !keepsEpoch(policy, epoch - 1)) await rm(join(checkpointDir, checkpointFileName(epoch - 1)), { force: true });
  };
  const saveResumeState = async (epoch: number) => {
    if (options.resume) await writeResumeState(options.out, config, policy.text, model, optimizer, { epoch, history, rng: rng.state() });
  };

  const trainEvaluated = evaluationIndices(dataset.train.count, config.eval_limit);
  const testEvaluated = evaluationIndices(dataset.test.count, config.eval_limit);
  let divergedAt: number | undefined;
  try {
    if (!resumed) {
      const initialTrain = evaluate(model, dataset, dataset.train, trainEvaluated);
      const initialTest = evaluate(model, dataset, dataset.test, testEvaluated);
      history.push({ epoch: 0, train_loss: initialTrain.loss, train_acc: initialTrain.acc, test_loss: initialTest.loss, test_acc: initialTest.acc });
      await saveCheckpoint(0);
      await saveResumeState(0);
    }

    const { train } = dataset;
    const batches = Math.ceil(train.count / config.batch_size);
    for (let epoch = (resumed?.epoch ?? 0) + 1; epoch <= config.epochs; epoch++) {
      const epochStart = performance.now();
      const order = shuffleInPlace(Uint32Array.from({ length: train.count }, (_, i) => i), rng);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches && divergedAt === undefined; b++) {
        const from = b * config.batch_size;
        const to = Math.min(train.count, from + config.batch_size);
        const dropoutSeed = Math.floor(rng.uniform() * 2 ** 31);
        const [loss, hits] = tf.tidy(() =>
          step(batchImages(dataset, train, order, from, to), batchLabels(train, order, from, to), dropoutSeed),
        );
        if (!Number.isFinite(loss)) {
          divergedAt = epoch;
          break;
        }
        lossSum += loss * (to - from);
        correct += hits;
        seen += to - from;
        options.onProgress?.({ type: 'batch', epoch, batch: b + 1, batches });
      }
      const test = evaluate(model, dataset, dataset.test, testEvaluated);
      await saveCheckpoint(epoch);
      const seconds = (performance.now() - epochStart) / 1000;
      const entry: HistoryEntry =
        divergedAt === undefined
          ? { epoch, train_loss: lossSum / seen, train_acc: correct / seen, test_loss: test.loss, test_acc: test.acc, seconds }
          : { epoch, train_loss: null, train_acc: seen > 0 ? correct / seen : null, test_loss: test.loss, test_acc: test.acc, seconds };
      history.push(entry);
      await saveResumeState(epoch);
      options.onProgress?.({ type: 'epoch', epoch, epochs: config.epochs, entry, seconds });
      if (divergedAt !== undefined) break;
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }

  const manifest: TrainedRun = {
    id: options.id ?? (options.out.split(/[\\/]/).filter(Boolean).at(-1) as string),
    config: { ...config },
    history,
    ...(divergedAt === undefined ? {} : { diverged_at_epoch: divergedAt }),
    architecture,
    training: { backend: tf.getBackend(), keep_checkpoints: policy.text },
  };
  const timing: RunTiming = { seconds: (performance.now() - started) / 1000, ...(resumed ? { resumed_from_epoch: resumed.epoch } : {}) };
  await writeFileAtomic(join(options.out, TIMING_FILE), `${JSON.stringify(timing, null, 2)}\n`);
  await writeFileAtomic(join(options.out, RUN_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await removeResumeState(options.out);
  return { ...manifest, timing };
}
