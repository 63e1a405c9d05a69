/**
 * `epochgraph import cnn-zoo DIR --out ZOO` and `epochgraph import model-zoos DIR --out ZOO`:
 * turn a published zoo into runs in epochgraph's format (docs/formats/).
 */
import type { Command } from 'commander';
import { importCnnZoo } from '../../importers/cnn-zoo.js';
import { importModelZoos } from '../../importers/model-zoos.js';
import type { ImportSummary } from '../../importers/output.js';
import { parseCheckpointSelection } from '../../importers/selection.js';
import type { CheckpointSelection } from '../../importers/selection.js';
import { printJson } from '../output.js';
import { LiveBlock, bar, formatDuration } from '../progress.js';

interface ImportOptions {
  out: string;
  epochs: string;
  json?: boolean;
}

type Importer = (dir: string, out: string, options: { selection: CheckpointSelection; onProgress: (done: number, total: number) => void }) => Promise<ImportSummary>;

/** Runs an importer with progress on a terminal and a one-line (or JSON) summary. */
async function run(importer: Importer, unit: string, dir: string, options: ImportOptions): Promise<void> {
  const selection = parseCheckpointSelection(options.epochs);
  const live = new LiveBlock();
  const started = performance.now();
  const summary = await importer(dir, options.out, {
    selection,
    onProgress: (done, total) => {
      const elapsed = (performance.now() - started) / 1000;
      const eta = done > 0 ? (elapsed * (total - done)) / done : Number.NaN;
      live.update([`${bar(done / total)} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit}, ${formatDuration(elapsed)} elapsed, ${formatDuration(eta)} left`]);
    },
  });
  live.clear();
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    printJson({ ...summary, seconds });
    return;
  }
  console.log(
    `${summary.out}: ${summary.runs.toLocaleString('en-US')} runs, ${summary.checkpoints.toLocaleString('en-US')} checkpoints ` +
      `(${(summary.bytesRead / 1e6).toFixed(1)} MB of weights read in ${seconds.toFixed(1)} s)`,
  );
}

function common(command: Command): Command {
  return command
    .requiredOption('--out <zoo>', 'new folder for the imported zoo (must not exist, or be empty)')
    .option('--epochs <epochs>', 'checkpoints to keep per run: epochs and ranges, "last", or "all"', '0-3,last')
    .option('--json', 'print the summary as JSON');
}

/** Registers `import` and its subcommands on `program`. */
export function registerImport(program: Command): void {
  const command = program.command('import').description('turn a published model zoo into runs in epochgraph\'s format');
  common(
    command
      .command('cnn-zoo')
      .argument('<dir>', 'a Small CNN Zoo dataset folder: weights.npy, layout.csv, metrics.csv.gz')
      .description('import the Small CNN Zoo (Unterthiner et al. 2020), streaming weights.npy'),
  )
    .addHelpText(
      'after',
      `
Each modeldir becomes a run; its checkpoints (epochs 0, 1, 2, 3, 20, 40, 60, 80, 86) are
written as safetensors in PyTorch's layout, the metrics as run.json history.
Example:
  epochgraph import cnn-zoo cifar10/ --out zoos/cifar10 --epochs 0-3,last`,
    )
    .action((dir: string, options: ImportOptions) => run(importCnnZoo, 'checkpoints', dir, options));
  common(
    command
      .command('model-zoos')
      .argument('<dir>', 'a Model Zoos folder: one folder per model with params.json, result.json, checkpoint_*/checkpoints')
      .description('import a Model Zoos population (Schürholt et al. 2022)'),
  )
    .addHelpText(
      'after',
      `
Each model folder becomes a run: params.json its config, result.json its history, the
selected checkpoint_<epoch>/checkpoints files its .pt checkpoints.
Example:
  epochgraph import model-zoos tune_zoo_mnist_uniform/ --out zoos/mnist --epochs 0-5,last`,
    )
    .action((dir: string, options: ImportOptions) => run(importModelZoos, 'models', dir, options));
}
