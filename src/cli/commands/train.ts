/**
 * `epochgraph train`: trains one configuration into a run directory.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfig } from '../../checkpoint/run-config.js';
import { RUN_FILE } from '../../checkpoint/run.js';
import { parseCheckpointPolicy } from '../../train/checkpoint-policy.js';
import { ConfigError, recordsConfig, resolveConfig } from '../../train/config.js';
import { formatNumber } from '../../util/format.js';
import { addConfigOptions, configFromOptions } from '../config-options.js';
import { UsageError } from '../options.js';
import { LiveBlock, bar, formatDuration } from '../progress.js';

/** Validates command-line settings into a configuration, naming options (not keys) in errors. */
export function configFromCommandLine(options: Record<string, unknown>): TrainConfig {
  try {
    return resolveConfig(configFromOptions(options));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--${error.key.replaceAll('_', '-')}${error.message.slice(error.key.length)}`);
    throw error;
  }
}

async function existingConfig(runDir: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(join(runDir, RUN_FILE), 'utf8')) as { config?: unknown }).config;
  } catch {
    return undefined;
  }
}

/** Registers the command on `program`. */
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train one configuration and write it as a run directory (checkpoint per epoch + run.json)')
    .requiredOption('--out <dir>', 'run directory to write')
    .option('--data-dir <dir>', 'directory with dataset files (full MNIST or Fashion-MNIST IDX, CIFAR-10 batches)')
    .option('--keep-checkpoints <epochs>', 'checkpoints to keep: all, or a list like 0-5,last', 'all')
    .option('--force', 'retrain even if --out already holds a finished run')
    .option('--json', 'print progress as JSON lines on stdout')
    .option('--quiet', 'print nothing but errors');
  addConfigOptions(command).addHelpText(
    'after',
    `
--dataset mnist is the embedded 10,000 MNIST digits (8,000 train / 2,000 test) and fashion-mnist
the fashion-mnist package's images (60,000 train / 9,946 test, cached after the first load) unless
--data-dir holds the IDX files; shapes is a generated 32x32 colour dataset. --eval-limit N evaluates
a fixed subset of N images of each split instead of all of it.
Examples:
  epochgraph train --arch lenet5 --epochs 10 --lr 0.05 --out runs/lenet
  epochgraph train --arch mlp --hidden 512,256 --optimizer adam --lr 1e-3 --dropout 0.2 --out runs/mlp
  epochgraph train --arch resnet --depth 14 --dataset shapes --keep-checkpoints 0-5,last --out runs/resnet14`,
  );
  command.action(async (options: Record<string, unknown> & { out: string; dataDir?: string; keepCheckpoints: string; force?: boolean; json?: boolean; quiet?: boolean }) => {
    const config = configFromCommandLine(options);
    const keepCheckpoints = parseCheckpointPolicy(options.keepCheckpoints);
    const previous = await existingConfig(options.out);
    if (previous !== undefined && !options.force) {
      if (recordsConfig(previous, config)) {
        if (!options.quiet && !options.json) console.log(`${options.out} already holds this finished run (use --force to retrain)`);
        return;
      }
      throw new UsageError(`--out ${options.out}: already holds a different finished run; choose another directory or pass --force`);
    }
    const live = new LiveBlock();
    const showLive = !options.quiet && !options.json;
    // tfjs loads only for commands that train: every other command starts fast.
    const { trainRun } = await import('../../train/train.js');
    const run = await trainRun(config, {
      out: options.out,
      dataDir: options.dataDir,
      keepCheckpoints,
      onProgress: (event) => {
        if (options.json) {
          process.stdout.write(`${JSON.stringify(event)}\n`);
          return;
        }
        if (!showLive) return;
        if (event.type === 'batch') {
          live.update([`epoch ${event.epoch}/${config.epochs} ${bar(event.batch / event.batches)} batch ${event.batch}/${event.batches}`]);
        } else {
          const e = event.entry;
          live.log(
            `epoch ${e.epoch}/${config.epochs}  train_loss ${formatNumber(e.train_loss)}  train_acc ${formatNumber(e.train_acc)}  test_loss ${formatNumber(e.test_loss)}  test_acc ${formatNumber(e.test_acc)}  (${formatDuration(event.seconds)})`,
          );
        }
      },
    });
    live.clear();
    if (options.json || options.quiet) return;
    const final = run.history.at(-1);
    const diverged = run.diverged_at_epoch !== undefined ? `, diverged at epoch ${run.diverged_at_epoch}` : '';
    console.log(`${options.out}: final test accuracy ${formatNumber(final?.test_acc)}${diverged} (${formatDuration(run.timing.seconds)})`);
  });
}
