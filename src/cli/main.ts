#!/usr/bin/env node
/**
 * The `epochgraph` command line: a thin layer over the library. Exit codes:
 * 0 success, 2 bad input or usage (one-line message), 1 internal error.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EpochgraphError } from '../errors.js';
import { registerDatasets } from './commands/datasets.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerFeatures } from './commands/features.js';
import { registerFit } from './commands/fit.js';
import { registerGraph } from './commands/graph.js';
import { registerImport } from './commands/import.js';
import { registerIndex } from './commands/index.js';
import { registerInspectCheckpoint } from './commands/inspect-checkpoint.js';
import { registerInspectRun } from './commands/inspect-run.js';
import { registerInspect } from './commands/inspect.js';
import { registerPredict } from './commands/predict.js';
import { registerProperties } from './commands/properties.js';
import { registerPruneReplay } from './commands/prune-replay.js';
import { registerQuery } from './commands/query.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';
import { registerZoo } from './commands/zoo.js';
import { commandLineMessage } from './options.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Builds the command tree. Returns the root command (not yet parsed). */
export function buildProgram(): Command {
  const program = new Command('epochgraph')
    .description("Predict a neural network's final test accuracy from the graph structure of its first training epochs.")
    .version(version)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({
      // One line, prefixed like every other error: "epochgraph: <what is wrong> (see --help)".
      outputError: (message, write) => write(`epochgraph: ${message.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    });
  // Subcommands inherit exitOverride and the output configuration from the root.
  registerDemo(program);
  registerInspectCheckpoint(program);
  registerInspectRun(program);
  registerTrain(program);
  registerZoo(program);
  registerWorker(program);
  registerIndex(program);
  registerQuery(program);
  registerDatasets(program);
  registerGraph(program);
  registerProperties(program);
  registerFeatures(program);
  registerEvaluate(program);
  registerFit(program);
  registerPredict(program);
  registerPruneReplay(program);
  registerReport(program);
  registerInspect(program);
  registerImport(program);
  registerServe(program);
  return program;
}

/** Runs the CLI on `argv` (as process.argv). Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error and already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    const debug = argv.includes('--debug');
    if (error instanceof EpochgraphError) {
      process.stderr.write(`epochgraph: ${commandLineMessage(error)}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`epochgraph: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    if (debug && (error as Error)?.stack) process.stderr.write(`${(error as Error).stack}\n`);
    else process.stderr.write('(run again with --debug for a stack trace, and please report it)\n');
    return 1;
  }
}

// A closed pipe (`epochgraph ... | head`) ends output quietly, like other Unix tools.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
