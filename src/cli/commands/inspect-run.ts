/**
 * `epochgraph inspect-run RUN`: a run's configuration, checkpoints and history.
 */
import type { Command } from 'commander';
import { readRun } from '../../checkpoint/run.js';
import { formatEpochs } from '../../util/epochs.js';
import { formatNumber } from '../../util/format.js';
import { printJson, renderTable } from '../output.js';

/** Registers the command on `program`. */
export function registerInspectRun(program: Command): void {
  program
    .command('inspect-run')
    .argument('<run>', 'run directory (run.json + checkpoints/, see docs/run-format.md)')
    .description('show a run: configuration, epochs with checkpoints, training history, final test accuracy')
    .option('--json', 'print JSON instead of tables')
    .addHelpText(
      'after',
      `
Examples:
  epochgraph inspect-run zoo/run-0007
  epochgraph inspect-run zoo/run-0007 --json | jq .final_test_acc`,
    )
    .action(async (runDir: string, options: { json?: boolean }) => {
      const run = await readRun(runDir);
      if (options.json) {
        printJson({
          id: run.id,
          path: run.path,
          config: run.config,
          checkpoints: run.checkpoints.map((c) => ({ epoch: c.epoch, path: c.path, format: c.format })),
          history: run.history,
          diverged_at_epoch: run.diverged_at_epoch ?? null,
          final_test_acc: run.finalTestAcc,
        });
        return;
      }
      const checkpointEpochs = new Set(run.checkpoints.map((c) => c.epoch));
      console.log(`run ${run.id}  (${run.path})`);
      const config = Object.entries(run.config)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      console.log(`config: ${config || '(empty)'}`);
      const formats = [...new Set(run.checkpoints.map((c) => c.format))].join(', ');
      console.log(
        `checkpoints: ${run.checkpoints.length === 0 ? 'none' : `epochs ${formatEpochs([...checkpointEpochs], ', ')} (${formats})`}`,
      );
      if (run.diverged_at_epoch !== undefined) console.log(`diverged at epoch ${run.diverged_at_epoch}`);
      console.log(`final test accuracy: ${formatNumber(run.finalTestAcc)}`);
      if (run.history.length === 0) {
        console.log('history: empty');
        return;
      }
      console.log(
        renderTable(
          ['epoch', 'checkpoint', 'train_loss', 'train_acc', 'test_loss', 'test_acc'],
          run.history.map((h) => [
            String(h.epoch),
            checkpointEpochs.has(h.epoch) ? 'yes' : '',
            formatNumber(h.train_loss),
            formatNumber(h.train_acc),
            formatNumber(h.test_loss),
            formatNumber(h.test_acc),
          ]),
          ['right', 'left', 'right', 'right', 'right', 'right'],
        ),
      );
    });
}
