/**
 * Options shared by the commands that build a checkpoint's graph (`graph`, `properties`):
 * rolled or unrolled, the architecture spec, batch-norm folding.
 */
import type { Command } from 'commander';
import { readArchitectureSpec } from '../graph/architecture-source.js';
import type { ArchitectureSpec } from '../graph/architecture.js';

/** The values of the shared options. */
export interface GraphCommonOptions {
  architecture?: string;
  foldBn: boolean;
  unrolled?: boolean;
}

/** The graph builders' options from the shared options' values. */
export async function graphOptions(options: GraphCommonOptions): Promise<{ architecture?: ArchitectureSpec; foldBatchNorm: boolean }> {
  return { ...(options.architecture ? { architecture: await readArchitectureSpec(options.architecture) } : {}), foldBatchNorm: options.foldBn };
}

/** Adds the shared options to `command`. Returns it. */
export function addGraphOptions(command: Command): Command {
  return command
    .option('--unrolled', 'unrolled graph: a node per channel and spatial position (small nets only)')
    .option('--architecture <file>', 'architecture spec JSON (or a run.json holding one); default: the checkpoint metadata, else inferred')
    .option('--no-fold-bn', 'do not fold batch-norm scales into edge weights');
}
