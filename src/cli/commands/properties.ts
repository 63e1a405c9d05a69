/**
 * `epochgraph properties CHECKPOINT|RUN`: a checkpoint's graph properties per layer (and
 * per node), or those of a run's epochs.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { readRun } from '../../checkpoint/run.js';
import { NODE_PROPERTIES, checkpointProperties, propertiesToJson } from '../../properties/compute.js';
import type { GraphProperties } from '../../properties/compute.js';
import { windowCheckpoints } from '../../summary/features.js';
import { parseEpochWindow } from '../../util/epochs.js';
import { formatNumber } from '../../util/format.js';
import { addGraphOptions, graphOptions } from '../graph-options.js';
import type { GraphCommonOptions } from '../graph-options.js';
import { UsageError } from '../options.js';
import { printJson, renderTable } from '../output.js';

/** Registers the command on `program`. */
export function registerProperties(program: Command): void {
  addGraphOptions(
    program
      .command('properties')
      .argument('<target>', 'a checkpoint file, or a run directory (with --epochs)')
      .description('graph properties of a checkpoint or of a run\'s epochs: strengths, eigenvector centrality, PageRank, spectral radius, per layer')
      .option('--epochs <window>', 'run epochs to analyse, e.g. 0-3 (default: every checkpoint)')
      .option('--nodes', 'include per-node values')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `
Eigenvector centrality is of the undirected graph (unit L2 norm); PageRank of the directed
input-to-output graph (damping 0.85, dangling mass spread uniformly, as networkx).
Examples:
  epochgraph properties zoo/run-0003 --epochs 0-3
  epochgraph properties model.safetensors --json --nodes > props.json`,
    )
    .action(async (target: string, options: GraphCommonOptions & { epochs?: string; nodes?: boolean; json?: boolean }) => {
      const built = await graphOptions(options);
      const isRun = (await stat(target).catch(() => undefined))?.isDirectory() ?? false;
      const items: { epoch: number | null; checkpoint: string }[] = [];
      if (isRun) {
        const run = await readRun(target);
        const epochs = options.epochs ? parseEpochWindow(options.epochs) : run.checkpoints.map((c) => c.epoch);
        windowCheckpoints(run, epochs).forEach((checkpoint, i) => items.push({ epoch: epochs[i], checkpoint }));
      } else {
        if (options.epochs) throw new UsageError('--epochs applies to a run directory, not a checkpoint file');
        items.push({ epoch: null, checkpoint: target });
      }
      const results: { epoch: number | null; checkpoint: string; properties: GraphProperties }[] = [];
      for (const item of items) {
        const { properties } = await checkpointProperties(item.checkpoint, { ...built, unrolled: options.unrolled });
        results.push({ ...item, properties });
      }
      if (options.json) {
        const json = results.map((r) => ({ epoch: r.epoch, checkpoint: r.checkpoint, properties: propertiesToJson(r.properties, options.nodes) }));
        printJson(isRun ? { run: target, epochs: json } : json[0]);
        return;
      }
      for (const { epoch, checkpoint, properties: p } of results) {
        console.log(`${epoch === null ? checkpoint : `epoch ${epoch}  ${checkpoint}`}`);
        console.log(`  ${p.kind} graph: ${p.nodes} nodes, ${p.edges} edges, total weight ${formatNumber(p.totalWeight)}, spectral radius ${formatNumber(p.spectralRadius)}`);
        console.log(
          renderTable(
            ['layer', 'kind', 'nodes', 'strength in', 'strength out', 'eigenvector mean', 'eigenvector max', 'pagerank mean', 'pagerank max', 'spectral radius in'],
            p.layers.map((l) => [
              l.name,
              l.kind,
              String(l.size),
              formatNumber(l.aggregates.strengthIn.mean),
              formatNumber(l.aggregates.strengthOut.mean),
              formatNumber(l.aggregates.eigenvector.mean),
              formatNumber(l.aggregates.eigenvector.max),
              formatNumber(l.aggregates.pagerank.mean),
              formatNumber(l.aggregates.pagerank.max),
              l.incoming.edges > 0 ? formatNumber(l.incoming.spectralRadius) : '-',
            ]),
            ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
          )
            .split('\n')
            .map((line) => `  ${line}`)
            .join('\n'),
        );
        if (options.nodes) {
          const rows: string[][] = [];
          for (const layer of p.layers) {
            for (let v = layer.offset; v < layer.offset + layer.size; v++) {
              rows.push([String(v), layer.name, ...NODE_PROPERTIES.map((name) => formatNumber(p.values[name][v]))]);
            }
          }
          console.log(
            renderTable(['node', 'layer', ...NODE_PROPERTIES], rows, ['right', 'left', 'right', 'right', 'right', 'right', 'right'])
              .split('\n')
              .map((line) => `  ${line}`)
              .join('\n'),
          );
        }
      }
    });
}
