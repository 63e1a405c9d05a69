/**
 * Graph writers for other tools:
 * - `graphml`: GraphML 1.0 (networkx.read_graphml, Gephi, igraph), directed, edge attribute
 *   `weight`, node attributes `layer`, `kind`, `channel` (+ `y`, `x` when unrolled) and `bias`;
 * - `edgelist`: `source target weight` lines after `#` comments
 *   (networkx.read_weighted_edgelist(path, nodetype=int, create_using=networkx.DiGraph));
 * - `json`: networkx node-link data with key `links` (networkx.node_link_graph(data), or
 *   node_link_graph(data, edges="links") from networkx 3.4), plus the layer table under `graph`.
 * Nodes are the integers 0 .. n-1 of graph.ts. Weights print as the shortest decimal that
 * reads back to the same float64. Text is produced one layer at a time, so writing a file
 * holds at most one layer's edges in memory.
 */
import { writeAll, writeFileAtomicWith } from '../util/atomic-write.js';
import { GraphError } from './errors.js';
import type { Graph, GraphLayer } from './graph.js';

/** Formats `writeGraph` and `formatGraph` produce. */
export const GRAPH_FORMATS = ['json', 'edgelist', 'graphml'] as const;

/** A graph file format. */
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/** Attributes of one node: its layer, channel and, in unrolled graphs, position. */
function nodeAttributes(layer: GraphLayer, local: number): { channel: number; y?: number; x?: number } {
  if (!layer.spatial) return { channel: local };
  const [h, w] = layer.spatial;
  return { channel: Math.floor(local / (h * w)), y: Math.floor((local % (h * w)) / w), x: local % w };
}

function layerTable(graph: Graph): object[] {
  return graph.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    offset: l.offset,
    size: l.size,
    channels: l.channels,
    ...(l.spatial ? { spatial: l.spatial } : {}),
    parameters: l.parameters,
  }));
}

/** Text of the edges into one layer, one entry per edge formatted by `edge`. */
function edgesInto(graph: Graph, layer: GraphLayer, edge: (source: number, target: number, weight: number) => string): string {
  const parts: string[] = [];
  graph.adjacency.forEachEdge((s, t, w) => parts.push(edge(s, t, w)), layer.offset, layer.offset + layer.size);
  return parts.join('');
}

/** Yields the text of every node, one layer at a time, each node formatted by `line`. */
function* nodesText(graph: Graph, line: (layer: GraphLayer, node: number) => string): Generator<string> {
  for (const layer of graph.layers) {
    const parts: string[] = [];
    for (let local = 0; local < layer.size; local++) parts.push(line(layer, layer.offset + local));
    yield parts.join('');
  }
}

/** Yields the text of `graph` in `format`, in pieces of at most one layer. */
function* graphText(graph: Graph, format: GraphFormat): Generator<string> {
  switch (format) {
    case 'edgelist':
      yield `# epochgraph ${graph.kind} graph: ${graph.nodeCount} nodes, ${graph.edgeCount} edges\n# source target weight\n`;
      for (const layer of graph.layers) yield edgesInto(graph, layer, (s, t, w) => `${s} ${t} ${w}\n`);
      return;
    case 'json': {
      const header = { directed: true, multigraph: false, graph: { kind: graph.kind, nodes: graph.nodeCount, edges: graph.edgeCount, layers: layerTable(graph) } };
      yield `${JSON.stringify(header).slice(0, -1)},"nodes":[`;
      let first = true;
      yield* nodesText(graph, (layer, node) => {
        const local = node - layer.offset;
        const attributes = nodeAttributes(layer, local);
        const bias = layer.bias ? { bias: layer.bias[attributes.channel] } : {};
        const text = `${first ? '' : ','}${JSON.stringify({ id: node, layer: layer.name, kind: layer.kind, ...attributes, ...bias })}`;
        first = false;
        return text;
      });
      yield '],"links":[';
      first = true;
      for (const layer of graph.layers) {
        yield edgesInto(graph, layer, (s, t, w) => {
          const text = `${first ? '' : ','}{"source":${s},"target":${t},"weight":${w}}`;
          first = false;
          return text;
        });
      }
      yield ']}\n';
      return;
    }
    case 'graphml': {
      const unrolled = graph.kind === 'unrolled';
      const keys = [
        ['layer', 'node', 'string'],
        ['kind', 'node', 'string'],
        ['channel', 'node', 'int'],
        ...(unrolled ? [['y', 'node', 'int'], ['x', 'node', 'int']] : []),
        ['bias', 'node', 'double'],
        ['weight', 'edge', 'double'],
      ];
      yield '<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n';
      for (const [id, domain, type] of keys) yield `  <key id="${id}" for="${domain}" attr.name="${id}" attr.type="${type}"/>\n`;
      yield '  <graph id="G" edgedefault="directed">\n';
      yield* nodesText(graph, (layer, node) => {
        const attributes = nodeAttributes(layer, node - layer.offset);
        let data = `<data key="layer">${xml(layer.name)}</data><data key="kind">${layer.kind}</data><data key="channel">${attributes.channel}</data>`;
        if (attributes.y !== undefined) data += `<data key="y">${attributes.y}</data><data key="x">${attributes.x}</data>`;
        if (layer.bias) data += `<data key="bias">${layer.bias[attributes.channel]}</data>`;
        return `    <node id="${node}">${data}</node>\n`;
      });
      for (const layer of graph.layers) {
        yield edgesInto(graph, layer, (s, t, w) => `    <edge source="${s}" target="${t}"><data key="weight">${w}</data></edge>\n`);
      }
      yield '  </graph>\n</graphml>\n';
      return;
    }
  }
}

function checkFormat(format: string): asserts format is GraphFormat {
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    throw new GraphError(`unknown graph format "${format}"; expected one of ${GRAPH_FORMATS.join(', ')}`);
  }
}

/** Returns the whole text of `graph` in `format` (for small graphs; `writeGraph` streams). */
export function formatGraph(graph: Graph, format: GraphFormat): string {
  checkFormat(format);
  return [...graphText(graph, format)].join('');
}

/**
 * Writes `graph` to `file` in `format`, atomically, one layer at a time.
 * Resolves once the file is in place; throws `GraphError` for an unknown format.
 */
export async function writeGraph(graph: Graph, file: string, format: GraphFormat): Promise<void> {
  checkFormat(format);
  const encoder = new TextEncoder();
  await writeFileAtomicWith(file, async (handle) => {
    for (const piece of graphText(graph, format)) await writeAll(handle, encoder.encode(piece));
  });
}
