/**
 * `epochgraph query ZOO "SQL"`: answers SQL over a zoo's DuckDB index, building or
 * updating the index first when it is absent or stale.
 */
import type { Command } from 'commander';
import { UsageError } from '../options.js';
import { printJson, renderTable } from '../output.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Registers the command on `program`. */
export function registerQuery(program: Command): void {
  program
    .command('query')
    .argument('<zoo>', 'zoo directory')
    .argument('<sql>', 'a DuckDB SQL query over the tables runs, history and features')
    .description("answer SQL over a zoo's index (built or updated first when absent or stale)")
    .option('--json', 'print the rows as a JSON array of objects')
    .option('--csv', 'print the rows as CSV with a header')
    .option('--out <file>', 'write the rows to a .parquet, .csv or .json file (through DuckDB) instead of printing them')
    .option('--quiet', 'say nothing about updating the index')
    .addHelpText(
      'after',
      `
Tables (docs/scale-out.md):
  runs      run, id, path, last_epoch, final_{train,test}_{loss,acc}, diverged_at_epoch,
            config (JSON), and one column per config key (arch, lr, seed, ...)
  history   run, epoch, train_loss, train_acc, test_loss, test_acc
  features  run, epoch_window, layout, block, name, value (cached by \`features --queue\`)
Examples:
  epochgraph query zoo "SELECT arch, count(*), avg(final_test_acc) FROM runs GROUP BY arch"
  epochgraph query zoo "SELECT r.run, h.test_acc FROM runs r JOIN history h USING (run) WHERE r.lr > 0.1 AND h.epoch = 3"
  epochgraph query zoo "PIVOT (SELECT run, block || ':' || name AS f, value FROM features WHERE epoch_window = '0-3') ON f USING first(value)" --out features.parquet`,
    )
    .action(async (zoo: string, sql: string, options: { json?: boolean; csv?: boolean; out?: string; quiet?: boolean }) => {
      if ([options.json, options.csv, options.out !== undefined].filter(Boolean).length > 1) throw new UsageError('--json, --csv and --out: choose one');
      // Loaded here, not with the command tree: DuckDB is heavy to load.
      const { ZooIndex } = await import('../../zoo-index/zoo-index.js');
      const index = await ZooIndex.open(zoo);
      try {
        if ((await index.freshness()) === 'stale') {
          const update = await index.update();
          if (!options.quiet) process.stderr.write(`${update.index}: updated (${update.added} added, ${update.updated} updated, ${update.removed} removed)\n`);
        }
        if (options.out !== undefined) return await index.export(sql, options.out);
        if (options.csv) return void process.stdout.write(await index.csv(sql));
        const { columns, rows } = await index.query(sql);
        if (options.json) printJson(rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))));
        else console.log(renderTable(columns, rows.map((row) => row.map(cell)), rows[0]?.map((v) => (typeof v === 'number' ? 'right' : 'left')) ?? []));
      } finally {
        index.close();
      }
    });
}
