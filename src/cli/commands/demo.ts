/**
 * `epochgraph demo`: the main job a newcomer runs after install.
 *
 * The end-to-end demo (train a zoo on embedded MNIST, build graphs, predict final
 * accuracy, write a report) needs the trainer, graph and predictor stages. Until they
 * exist it exercises what is built: it writes an example run directory in the
 * documented format (He-initialised MLP 784-256-10 weights as epoch 0) and reads it back.
 */
import type { Command } from 'commander';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../../checkpoint/open.js';
import { CHECKPOINT_DIR, RUN_FILE, checkpointFileName, readRun } from '../../checkpoint/run.js';
import { writeSafetensors } from '../../checkpoint/safetensors.js';
import { makeTensor, tensorStats } from '../../checkpoint/tensor.js';
import type { Tensor } from '../../checkpoint/tensor.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { createRng } from '../../util/random.js';
import { formatNumber, renderTable } from '../output.js';

/** He-normal initial weights of a dense layer `[out, in]` and a zero bias. */
function denseLayer(prefix: string, inFeatures: number, outFeatures: number, seed: number): Tensor[] {
  const rng = createRng(seed);
  const weight = new Float32Array(outFeatures * inFeatures);
  const scale = Math.sqrt(2 / inFeatures);
  for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * scale;
  return [
    makeTensor(`${prefix}.weight`, 'F32', [outFeatures, inFeatures], weight),
    makeTensor(`${prefix}.bias`, 'F32', [outFeatures], new Float32Array(outFeatures)),
  ];
}

/** Registers the command on `program`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the epochgraph demonstration (today: write and read back an example run directory)')
    .option('--out <dir>', 'where to write the example run (default: a new temporary directory)')
    .action(async (options: { out?: string }) => {
      console.log('epochgraph demo');
      console.log('The full demo (train a small zoo on embedded MNIST, build weight graphs, predict final');
      console.log('accuracy from the first epochs, compare with baselines, write a report) is being built.');
      console.log('This version checks the installation: it writes an example run directory in the');
      console.log('format of docs/run-format.md and reads it back with the checkpoint reader.\n');
      const runDir = options.out ?? (await mkdtemp(join(tmpdir(), 'epochgraph-demo-')));
      const tensors = [...denseLayer('net.0', 784, 256, 1), ...denseLayer('net.2', 256, 10, 2)];
      const checkpoint = join(runDir, CHECKPOINT_DIR, checkpointFileName(0));
      await writeSafetensors(checkpoint, tensors, { producer: 'epochgraph demo', init: 'kaiming_normal' });
      const manifest = { id: 'demo-mlp', config: { arch: 'mlp', hidden: [256], init: 'kaiming_normal', seed: 1 }, history: [] };
      await writeFileAtomic(join(runDir, RUN_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
      const run = await readRun(runDir);
      const { tensors: read } = await readCheckpoint(run.checkpoints[0].path);
      console.log(`wrote ${run.path}: run ${run.id}, checkpoint epochs ${run.checkpoints.map((c) => c.epoch).join(', ')}`);
      console.log(
        renderTable(
          ['tensor', 'shape', 'min', 'max', 'mean'],
          read.map((t) => {
            const s = tensorStats(t);
            return [t.name, `[${t.shape.join(', ')}]`, formatNumber(s.min), formatNumber(s.max), formatNumber(s.mean)];
          }),
          ['left', 'left', 'right', 'right', 'right'],
        ),
      );
      console.log(`\nNext: epochgraph inspect-run ${run.path}`);
    });
}
