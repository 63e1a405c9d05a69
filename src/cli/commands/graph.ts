/**
 * `epochgraph graph CHECKPOINT --out FILE`: writes a checkpoint's weight graph for other
 * tools (networkx, igraph, Gephi).
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { readCheckpoint } from '../../checkpoint/open.js';
import { readRolledGraph } from '../../graph/rolled.js';
import { GRAPH_FORMATS, writeGraph } from '../../graph/serialize.js';
import type { GraphFormat } from '../../graph/serialize.js';
import { buildUnrolledGraph } from '../../graph/unrolled.js';
import { addGraphOptions, graphOptions } from '../graph-options.js';
import type { GraphCommonOptions } from '../graph-options.js';
import { parseChoice } from '../options.js';

/** Registers the command on `program`. */
export function registerGraph(program: Command): void {
  addGraphOptions(
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
}
