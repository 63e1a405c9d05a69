/**
 * `epochgraph prune-replay ZOO... [--model MODEL.json] [--policy NAME...]`: a finished zoo
 * replayed as a live sweep under each pruning policy (src/prune/replay.ts), side by side:
 * compute saved against what was lost.
 */
import type { Command } from 'commander';
import { evaluationSpec } from '../../predict/evaluation.js';
import { readModelFile } from '../../predict/model-file.js';
import { POLICIES, POLICY_ALIASES, defaultPolicies, parsePolicy } from '../../prune/policies.js';
import { replayFile, replaySweep, summarizeOrders, zooReplayRuns } from '../../prune/replay.js';
import type { PolicyOutcome, ReplayResult, ZooReplay } from '../../prune/replay.js';
import { formatEpochs } from '../../util/epochs.js';
import { formatNumber } from '../../util/format.js';
import { DEFAULT_FIT_METHOD, addEvaluationOptions, evaluationProgress, specFromFlags } from '../evaluation.js';
import type { EvaluationFlags } from '../evaluation.js';
import { UsageError, parsePositiveInt } from '../options.js';
import { LiveBlock, bar } from '../progress.js';
import { printJson, renderTable } from '../output.js';

interface ReplayFlags extends EvaluationFlags {
  model?: string;
  policy?: string[];
  parallel?: string;
  orders?: string;
  json?: boolean;
  quiet?: boolean;
}

const percent = (share: number) => `${(100 * share).toFixed(1)}%`;

/** The side-by-side table of the outcomes. Returns its text. */
function outcomeTable(result: ReplayResult): string {
  return renderTable(
    ['policy', 'stopped', 'epochs trained', `${result.time_basis === 'seconds' ? 'time' : 'epochs'} saved`, 'best kept', 'top 5% kept', 'regret', 'good stopped'],
    result.outcomes.map((o: PolicyOutcome) => [
      o.policy,
      `${o.stopped}/${o.runs}`,
      percent(o.epoch_share),
      percent(o.time_saved),
      o.best_survived ? 'yes' : 'NO',
      `${o.top5_survived}/${o.top5}`,
      Number.isNaN(o.regret) ? 'all stopped' : o.regret.toFixed(4),
      `${o.good_stopped}/${o.good}`,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** The table of each policy over several orders. Returns its text. */
function summaryTable(results: readonly ReplayResult[]): string {
  const n = results.length;
  return renderTable(
    ['policy', 'epochs trained', `${results[0].time_basis === 'seconds' ? 'time' : 'epochs'} saved`, 'best kept', 'top 5% kept', 'regret', 'worst regret', 'good stopped'],
    summarizeOrders(results).map((s) => [
      s.policy,
      percent(s.epoch_share),
      percent(s.time_saved),
      `${s.best_survived}/${n}`,
      `${s.top5_survived.toFixed(1)}/${s.top5}`,
      Number.isNaN(s.regret) ? 'all stopped' : s.regret.toFixed(4),
      Number.isNaN(s.regret_max) ? 'all stopped' : s.regret_max.toFixed(4),
      `${s.good_stopped.toFixed(1)}/${s.good}`,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** Registers the command on `program`. */
export function registerPruneReplay(program: Command): void {
  const command = program
    .command('prune-replay')
    .argument('<zoos...>', 'finished zoos to replay, as one sweep')
    .description('replay a finished zoo as a live sweep: compute each pruning policy saves, and what it loses')
    .option('--model <file>', 'judge runs with this model file as given (default: cross-fitted models that never saw the run they judge)')
    .option('--policy <policy>', `a policy, NAME or NAME:KEY=VALUE,...; repeat to compare (default: all of ${POLICIES.map((p) => p.name).join(', ')} with their defaults)`, (value: string, list: string[] = []) => [...list, value])
    .option('--seed <n>', 'seed of the arrival order, the folds and the estimators (default 0)')
    .option('--parallel <n>', 'runs training at once (default 1)')
    .option('--orders <n>', 'replay n arrival orders (seeds S, S+1, ...) and summarise each policy over them (default 1)');
  addEvaluationOptions(command, ['epochs', 'layout', 'method', 'folds', 'classes'])
    .option('--json', 'print {"runs", "order", "time_basis", "outcomes": [{policy, epoch_share, time_saved, best_survived, regret, ...}]}')
    .option('--quiet', 'no progress')
    .addHelpText(
      'after',
      `
Policies (settings and defaults):
${POLICIES.map((p) => `  ${p.name}:${Object.entries(p.defaults).map(([k, v]) => `${k}=${Number.isNaN(v) ? 'chance+0.1' : v}`).join(',')}\n      ${p.description}`).join('\n')}
  ${Object.entries(POLICY_ALIASES).map(([alias, name]) => `${alias} is another name for ${name}`).join('; ')}

Runs arrive in an order drawn from --seed (--orders n: n orders, summarised); every policy
replays the same order, seeing at each epoch only what a live sweep would have seen. Time saved
is counted from each epoch's "seconds" in run.json, or from epochs when a run lacks them.
Regret: the zoo's best final accuracy minus the best among runs not stopped. Good runs: the top
quarter by final accuracy. docs/pruning.md says more.
Examples:
  epochgraph prune-replay zoo
  epochgraph prune-replay zoo --policy graph:k=1 --policy graph:k=5 --policy median --policy asha:eta=3
  epochgraph prune-replay zoo --model model.json --json > replay.json`,
    )
    .action(async (zoos: string[], options: ReplayFlags) => {
      if (options.model !== undefined) {
        for (const [flag, value] of [['--epochs', options.epochs], ['--layout', options.layout], ['--method', options.method], ['--folds', options.folds]] as const) {
          if (value !== undefined) throw new UsageError(`${flag}: the model file fixes it; leave ${flag} out with --model`);
        }
      }
      const spec = evaluationSpec(specFromFlags({ ...options, method: options.method ?? DEFAULT_FIT_METHOD }));
      const parallel = options.parallel === undefined ? 1 : parsePositiveInt('--parallel', options.parallel);
      const orders = options.orders === undefined ? 1 : parsePositiveInt('--orders', options.orders);
      const model = options.model === undefined ? undefined : await readModelFile(options.model);
      const quiet = Boolean(options.quiet || options.json);
      // Settings are checked before any checkpoint is read; the chance level (threshold's default bar) comes with the runs.
      for (const text of options.policy ?? []) parsePolicy(text, { chance: 0.5 });
      const progress = evaluationProgress(quiet, zoos.join(', '));
      const prepared: ZooReplay = await zooReplayRuns(zoos, spec, { model, onProgress: progress.onProgress });
      progress.clear();
      const live = new LiveBlock();
      const context = { chance: prepared.chance };
      const policies = options.policy === undefined ? defaultPolicies(context) : options.policy.map((text) => parsePolicy(text, context));
      const results: ReplayResult[] = [];
      for (let k = 0; k < orders; k++) {
        const seed = spec.seed + k;
        results.push(
          replaySweep(prepared.runs, policies, { seed, parallel, windowEnd: prepared.windowEnd }, (done, total, label) => {
            if (!quiet) live.update([`replaying ${bar((k * total + done) / (orders * total))} order ${k + 1}/${orders}, policy ${done}/${total} (${label})`]);
          }),
        );
      }
      const [result] = results;
      live.clear();
      const judge = model ? `model ${options.model} as given (fitted on ${model.training_runs} runs, method ${model.method}, window ${formatEpochs(model.window)})` : `cross-fitted (${spec.folds} grouped folds, method ${spec.methods[0].name}, window ${formatEpochs(spec.window)})`;
      if (options.json) {
        printJson(replayFile(zoos, prepared, judge, results));
        return;
      }
      const skipped = prepared.skipped.length > 0 ? ` (${prepared.skipped.length} without a final accuracy left out)` : '';
      const arrival = orders === 1 ? `the order of seed ${result.seed}` : `${orders} orders (seeds ${result.seed}-${result.seed + orders - 1}; means over them)`;
      console.log(`${prepared.runs.length} runs of ${zoos.join(' + ')}${skipped}, arriving in ${arrival}, ${parallel} at a time`);
      console.log(`graph policy judged by ${judge}; ${result.time_basis === 'seconds' ? "time from run.json's epoch seconds" : 'time counted in epochs (some run has no epoch seconds)'}`);
      console.log(`best final accuracy in the zoo: ${formatNumber(result.outcomes[0]?.best_in_zoo)}\n`);
      console.log(orders === 1 ? outcomeTable(result) : summaryTable(results));
    });
}
