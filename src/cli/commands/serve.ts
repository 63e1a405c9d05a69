/**
 * `epochgraph serve --model MODEL.json --data DIR`: the live pruning service
 * (docs/live-pruning.md). Listens on loopback unless told otherwise; SIGTERM or SIGINT
 * stops it after the requests in flight are answered and their writes are done.
 */
import type { Command } from 'commander';
import { readModelFile } from '../../predict/model-file.js';
import { chanceLevel } from '../../predict/chance.js';
import { parsePolicy } from '../../prune/policies.js';
import { DEFAULTS, createService } from '../../service/server.js';
import { UsageError, parseNonNegativeInt, parsePositiveInt } from '../options.js';

interface ServeFlags {
  model: string;
  data: string;
  port: string;
  host: string;
  token?: string;
  policy: string;
  maxBodyMb: string;
  timeout: string;
  queue: string;
  classes?: string;
}

/** Chance accuracy: 1 / classes, from `classes` or the datasets the model was fitted on; undefined when neither tells. */
function chanceOf(datasets: readonly string[], classes: number | undefined): number | undefined {
  if (classes !== undefined) return chanceLevel([], classes);
  try {
    return chanceLevel(datasets.map((dataset) => ({ dataset })));
  } catch {
    return undefined;
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Registers the command on `program`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve predictions and pruning decisions over HTTP to training loops (docs/live-pruning.md)')
    .requiredOption('--model <file>', 'model file written by epochgraph fit')
    .requiredOption('--data <dir>', 'directory where uploaded runs are stored, as a zoo (created if missing)')
    .option('--port <n>', 'TCP port (0: any free port)', String(DEFAULTS.port))
    .option('--host <address>', 'address to listen on (loopback by default; set --token before exposing it)', DEFAULTS.host)
    .option('--token <token>', 'require "Authorization: Bearer <token>" on every request but /healthz (default: $EPOCHGRAPH_TOKEN)')
    .option('--policy <policy>', 'pruning policy, NAME or NAME:KEY=VALUE,... as prune-replay takes it', 'graph')
    .option('--classes <n>', "the task's number of classes, for policies that compare with chance (default: from the model's dataset)")
    .option('--max-body-mb <n>', 'largest upload, MiB', String(DEFAULTS.maxBodyBytes / 2 ** 20))
    .option('--timeout <seconds>', 'time to receive a whole request', String(DEFAULTS.requestTimeoutMs / 1000))
    .option('--queue <n>', 'feature extractions waiting at most; beyond it uploads get 503 + Retry-After', String(DEFAULTS.queueCapacity))
    .action(async (flags: ServeFlags) => {
      const port = parseNonNegativeInt('--port', flags.port);
      if (port > 65535) throw new UsageError(`--port: expected 0 to 65535, got ${port}`);
      const token = flags.token ?? process.env.EPOCHGRAPH_TOKEN;
      if (token !== undefined && token.length === 0) throw new UsageError('--token: the token is empty');
      const classes = flags.classes === undefined ? undefined : parsePositiveInt('--classes', flags.classes);
      const model = await readModelFile(flags.model);
      const chance = chanceOf(model.datasets, classes);
      const context = chance === undefined ? {} : { chance };
      const policy = parsePolicy(flags.policy, context);
      const service = await createService({
        model,
        dataDir: flags.data,
        policy,
        ...(token === undefined ? {} : { token }),
        maxBodyBytes: parsePositiveInt('--max-body-mb', flags.maxBodyMb) * 2 ** 20,
        requestTimeoutMs: parsePositiveInt('--timeout', flags.timeout) * 1000,
        queueCapacity: parseNonNegativeInt('--queue', flags.queue),
      });
      const address = await service.listen(port, flags.host);
      process.stderr.write(`epochgraph serve: ${address} (model ${flags.model}, window ${model.window.join(',')}, policy ${policy.label}, data ${flags.data}, ${service.store.list().length} runs)\n`);
      if (!LOOPBACK.test(flags.host) && token === undefined) process.stderr.write('epochgraph serve: warning: listening beyond loopback without --token: anyone who reaches it can upload\n');
      await new Promise<void>((resolve, reject) => {
        const stop = (signal: string) => {
          process.stderr.write(`epochgraph serve: ${signal}: finishing requests in flight\n`);
          service.close().then(resolve, reject);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      process.stderr.write('epochgraph serve: stopped\n');
    });
}
