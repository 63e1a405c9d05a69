/**
 * `epochgraph graph CHECKPOINT --out FILE`: writes a checkpoint's weight graph for other
 * tools (networkx, igraph, Gephi), and `epochgraph properties CHECKPOINT|RUN`: its graph
 * properties per layer (and per node).
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { readCheckpoint } from '../../checkpoint/open.js';
import { readRun } from '../../checkpoint/run.js';
import { UsageError } from '../../errors.js';
import type { ArchitectureSpec } from '../../graph/architecture.js';
import { readArchitectureSpec } from '../../graph/architecture-source.js';
import { readRolledGraph } from '../../graph/rolled.js';
import { GRAPH_FORMATS, writeGraph } from '../../graph/serialize.js';
import type { GraphFormat } from '../../graph/serialize.js';
import { buildUnrolledGraph } from '../../graph/unrolled.js';
import { NODE_PROPERTIES, checkpointProperties, propertiesToJson } from '../../properties/compute.js';
import type { GraphProperties } from '../../properties/compute.js';
import { windowCheckpoints } from '../../summary/features.js';
import { parseEpochWindow } from '../../summary/temporal.js';
import { parseChoice } from '../options.js';
import { formatNumber, printJson, renderTable } from '../output.js';

interface GraphCommonOptions {
  architecture?: string;
  foldBn: boolean;
  unrolled?: boolean;
}

async function graphOptions(options: GraphCommonOptions): Promise<{ architecture?: ArchitectureSpec; foldBatchNorm: boolean }> {
  return { ...(options.architecture ? { architecture: await readArchitectureSpec(options.architecture) } : {}), foldBatchNorm: options.foldBn };
}

function addCommonOptions(command: Command): Command {
  return command
    .option('--unrolled', 'unrolled graph: a node per channel and spatial position (small nets only)')
    .option('--architecture <file>', 'architecture spec JSON (or a run.json holding one); default: the checkpoint metadata, else inferred')
    .option('--no-fold-bn', 'do not fold batch-norm scales into edge weights');
}

/** Registers `graph` and `properties` on `program`. */
export function registerGraph(program: Command): void {
  addCommonOptions(
    program
      .command('graph')
      .argument('<checkpoint>', 'checkpoint file (.safetensors or .pt)')
      .description("write a checkpoint's weight graph (rolled by default) as JSON, an edge list or GraphML")
      .requiredOption('--out <file>', 'output file')
      .option('--format <format>', `${GRAPH_FORMATS.join(', ')}`, 'json'),
  )
    .addHelpText(
      'after',
      `
Rolled graph: a node per input channel, conv channel and dense neuron; an edge per
(input, output) pair of consecutive layers weighing |w| (dense) or the L2 norm of the kernel (conv).
Example (networkx): nx.read_graphml('lenet.graphml')`,
    )
    .action(async (file: string, options: GraphCommonOptions & { out: string; format: string }) => {
      const format = parseChoice<GraphFormat>('--format', options.format, GRAPH_FORMATS) as GraphFormat;
      const built = await graphOptions(options);
      // The rolled graph streams one weight tensor at a time; the unrolled one needs them all.
      const graph = options.unrolled ? buildUnrolledGraph(await readCheckpoint(file), built) : await readRolledGraph(file, built);
      await writeGraph(graph, options.out, format);
      const { size } = await stat(options.out);
      console.log(`${options.out}: ${graph.kind} graph, ${graph.nodeCount.toLocaleString('en-US')} nodes, ${graph.edgeCount.toLocaleString('en-US')} edges (${format}, ${size.toLocaleString('en-US')} bytes; architecture from ${graph.architectureSource})`);
    });

  addCommonOptions(
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
