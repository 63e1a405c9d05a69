/**
 * Resume state of a training run: everything `trainRun` needs to continue after the last
 * complete epoch exactly as an uninterrupted run would, in `<run>/resume.safetensors`
 * (written atomically after each epoch's checkpoint, removed once run.json is written).
 *
 * Tensors: `model.<i>` the trainable variables in the model's internal layout,
 * `optimizer.<i>` the optimizer's state tensors, `bn.<layer>.running_mean|running_var` the
 * batch-norm running statistics, all float32 and bit-exact. Metadata `state`, JSON: the
 * epoch and history so far (each epoch's seconds included), the random stream's position, the optimizer's
 * step count, batch-norm batch counts, and the configuration and checkpoint policy it
 * belongs to (a state of any other configuration is ignored).
 */
import * as tf from '@tensorflow/tfjs-core';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfig } from '../checkpoint/run-config.js';
import type { HistoryEntry } from '../checkpoint/run.js';
import { readCheckpoint } from '../checkpoint/open.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { makeTensor } from '../checkpoint/tensor.js';
import type { Tensor } from '../checkpoint/tensor.js';
import type { RngState } from '../util/random.js';
import type { Model } from './model.js';
import type { TrainingOptimizer } from './optimizers.js';

export const RESUME_FILE = 'resume.safetensors';

/** Where training stands after a complete epoch. */
export interface TrainingProgressState {
  readonly epoch: number;
  readonly history: readonly HistoryEntry[];
  readonly rng: RngState;
}

interface StateMetadata extends TrainingProgressState {
  readonly config: string;
  readonly keep_checkpoints: string;
  readonly optimizer_step: number;
  readonly batches_tracked: Record<string, number>;
}

const f32 = (variable: tf.Variable) => Float32Array.from(variable.dataSync() as Float32Array);

/** Writes the resume state of `model` and `optimizer` after `progress.epoch` into `runDir`. */
export async function writeResumeState(
  runDir: string,
  config: TrainConfig,
  keepCheckpoints: string,
  model: Model,
  optimizer: TrainingOptimizer,
  progress: TrainingProgressState,
): Promise<void> {
  const tensors: Tensor[] = [
    ...model.variables.map((v, i) => makeTensor(`model.${i}`, 'F32', v.shape, f32(v))),
    ...optimizer.state.map((v, i) => makeTensor(`optimizer.${i}`, 'F32', v.shape, f32(v))),
  ];
  const batchesTracked: Record<string, number> = {};
  for (const [layer, stats] of model.runningStatistics()) {
    tensors.push(makeTensor(`bn.${layer}.running_mean`, 'F32', [stats.runningMean.length], Float32Array.from(stats.runningMean)));
    tensors.push(makeTensor(`bn.${layer}.running_var`, 'F32', [stats.runningVar.length], Float32Array.from(stats.runningVar)));
    batchesTracked[layer] = stats.batchesTracked;
  }
  const state: StateMetadata = { ...progress, config: JSON.stringify(config), keep_checkpoints: keepCheckpoints, optimizer_step: optimizer.step, batches_tracked: batchesTracked };
  await writeSafetensors(join(runDir, RESUME_FILE), tensors, { state: JSON.stringify(state) });
}

/**
 * Restores the resume state of `runDir` into `model` and `optimizer` (freshly built for
 * `config`). Returns where training stands, or undefined (nothing restored) when there is no
 * state, or it belongs to another configuration or policy, or does not fit the model.
 */
export async function restoreResumeState(
  runDir: string,
  config: TrainConfig,
  keepCheckpoints: string,
  model: Model,
  optimizer: TrainingOptimizer,
): Promise<TrainingProgressState | undefined> {
  let tensors: readonly Tensor[];
  let state: StateMetadata;
  try {
    const checkpoint = await readCheckpoint(join(runDir, RESUME_FILE));
    tensors = checkpoint.tensors;
    state = JSON.parse(checkpoint.metadata.state) as StateMetadata;
  } catch {
    // Absent or unreadable: the run starts over.
    return undefined;
  }
  if (state.config !== JSON.stringify(config) || state.keep_checkpoints !== keepCheckpoints) return undefined;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const targets: [string, tf.Variable][] = [...model.variables.map((v, i) => [`model.${i}`, v] as [string, tf.Variable]), ...optimizer.state.map((v, i) => [`optimizer.${i}`, v] as [string, tf.Variable])];
  const statistics = [...model.runningStatistics()];
  const fits =
    tensors.length === targets.length + 2 * statistics.length &&
    targets.every(([name, v]) => byName.get(name)?.data.length === v.size) &&
    statistics.every(([layer, s]) => byName.get(`bn.${layer}.running_mean`)?.data.length === s.runningMean.length && byName.get(`bn.${layer}.running_var`)?.data.length === s.runningVar.length);
  if (!fits) return undefined;
  for (const [name, variable] of targets) {
    const value = tf.tensor(byName.get(name)?.data as Float32Array, variable.shape, 'float32');
    variable.assign(value);
    value.dispose();
  }
  for (const [layer, stats] of statistics) {
    stats.runningMean.set(byName.get(`bn.${layer}.running_mean`)?.data as Float32Array);
    stats.runningVar.set(byName.get(`bn.${layer}.running_var`)?.data as Float32Array);
    stats.batchesTracked = state.batches_tracked[layer];
  }
  optimizer.step = state.optimizer_step;
  return { epoch: state.epoch, history: state.history, rng: state.rng };
}

/** Removes the resume state of `runDir` (once the run is complete, or to start over). */
export async function removeResumeState(runDir: string): Promise<void> {
  await rm(join(runDir, RESUME_FILE), { force: true });
}
