/**
 * `epochgraph datasets download NAME --dir DIR`: fetches a public dataset for `--data-dir`.
 */
import type { Command } from 'commander';
import { DATASET_NAMES } from '../../checkpoint/run-config.js';
import { formatBytes } from '../output.js';

/** Registers the command group on `program`. */
export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('manage dataset files (the embedded MNIST and generated shapes need none)');
  datasets
    .command('download')
    .argument('<name>', `dataset: ${DATASET_NAMES.filter((n) => n !== 'shapes').join(', ')}`)
    .requiredOption('--dir <dir>', 'directory to download into (then pass it as --data-dir)')
    .description('download a dataset from its public host and verify its published checksums')
    .option('--quiet', 'print nothing but errors')
    .action(async (name: string, options: { dir: string; quiet?: boolean }) => {
      const { downloadDataset } = await import('../../train/datasets/download.js');
      await downloadDataset(name, options.dir, (event) => {
        if (!options.quiet) console.log(`${event.skipped ? 'present' : 'downloaded'}  ${event.file}  ${formatBytes(event.bytes)}`);
      });
      if (!options.quiet) console.log(`${name} is ready: --dataset ${name} --data-dir ${options.dir}`);
    });
}
