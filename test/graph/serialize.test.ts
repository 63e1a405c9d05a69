import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRolledGraph } from '../../src/graph/rolled.js';
import { formatGraph, writeGraph } from '../../src/graph/serialize.js';
import type { GraphFormat } from '../../src/graph/serialize.js';
import { buildUnrolledGraph } from '../../src/graph/unrolled.js';
import { listFiles, tempDir } from '../helpers.js';
import { edgeList, loadFixture, tensor } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const hasNetworkx = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import networkx'], { encoding: 'utf8' }).status === 0;

describe('graph writers', () => {
  it('write node-link JSON with node attributes and every edge', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint);
    const data = JSON.parse(formatGraph(graph, 'json'));
    expect(data.directed).toBe(true);
    expect(data.graph.layers.map((l: { name: string }) => l.name)).toEqual(graph.layers.map((l) => l.name));
    expect(data.nodes).toHaveLength(graph.nodeCount);
    expect(data.nodes[3]).toEqual({ id: 3, layer: 'conv1', kind: 'conv', channel: 0, bias: graph.layers[1].bias![0] });
    const links = data.links.map((e: { source: number; target: number; weight: number }) => [e.source, e.target, e.weight]);
    expect(links.sort((a: number[], b: number[]) => a[1] - b[1] || a[0] - b[0])).toEqual(edgeList(graph));
  });

  it('write weighted edge lists that read back to the same float64 weights', () => {
    const graph = buildRolledGraph([tensor('a.weight', [3, 2]), tensor('b.weight', [2, 3])]);
    const lines = formatGraph(graph, 'edgelist').trimEnd().split('\n');
    expect(lines[0]).toBe('# epochgraph rolled graph: 7 nodes, 12 edges');
    const edges = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(' ').map(Number));
    expect(edges.sort((a, b) => a[1] - b[1] || a[0] - b[0])).toEqual(edgeList(graph));
  });

  it('write GraphML with escaped names and unrolled positions', () => {
    const graph = buildUnrolledGraph([tensor('c.weight', [1, 1, 2, 2])], {
      architecture: {
        format: 'epochgraph-architecture',
        version: 1,
        layers: [
          { type: 'input', name: 'in<&>', channels: 1, size: [3, 3] },
          { type: 'conv', name: 'c', weight: 'c.weight' },
        ],
      },
    });
    const text = formatGraph(graph, 'graphml');
    expect(text.match(/<node /g)).toHaveLength(13);
    expect(text.match(/<edge /g)).toHaveLength(16);
    expect(text).toContain('<node id="0"><data key="layer">in&lt;&amp;&gt;</data><data key="kind">input</data><data key="channel">0</data><data key="y">0</data><data key="x">0</data></node>');
    expect(text).toContain('<node id="12"><data key="layer">c</data><data key="kind">conv</data><data key="channel">0</data><data key="y">1</data><data key="x">1</data></node>');
  });

  it('write files atomically and refuse unknown formats', async () => {
    const dir = tempDir();
    const graph = buildRolledGraph([tensor('a.weight', [3, 2])]);
    await writeGraph(graph, join(dir, 'g.graphml'), 'graphml');
    expect(listFiles(dir)).toEqual(['g.graphml']);
    expect(readFileSync(join(dir, 'g.graphml'), 'utf8')).toBe(formatGraph(graph, 'graphml'));
    await expect(writeGraph(graph, join(dir, 'g.gexf'), 'gexf' as GraphFormat)).rejects.toThrow(
      'graph: unknown graph format "gexf"; expected one of json, edgelist, graphml',
    );
    expect(listFiles(dir)).toEqual(['g.graphml']);
  });

  // CI installs networkx (.ci/run): there this test always runs.
  it.skipIf(!hasNetworkx && !process.env.CI)('are read by networkx (GraphML, edge list, node-link JSON)', async () => {
    const fixture = await loadFixture('resnet');
    const graph = buildRolledGraph(fixture.checkpoint);
    const dir = tempDir();
    for (const format of ['graphml', 'edgelist', 'json'] as const) await writeGraph(graph, join(dir, `g.${format}`), format);
    const script = `
import json, sys, networkx as nx
d = sys.argv[1]
graphs = {
    "graphml": nx.read_graphml(d + "/g.graphml", node_type=int),
    "edgelist": nx.read_weighted_edgelist(d + "/g.edgelist", nodetype=int, create_using=nx.DiGraph),
    "json": nx.node_link_graph(json.load(open(d + "/g.json"))),
}
out = {}
for name, g in graphs.items():
    out[name] = {"directed": g.is_directed(), "nodes": g.number_of_nodes(),
                 "edges": sorted([u, v, w] for u, v, w in g.edges(data="weight"))}
out["layer_of_5"] = graphs["graphml"].nodes[5]["layer"]
print(json.dumps(out))
`;
    const result = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const read = JSON.parse(result.stdout);
    const expected = edgeList(graph).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const format of ['graphml', 'edgelist', 'json']) {
      expect(read[format].directed).toBe(true);
      expect(read[format].nodes).toBe(graph.nodeCount);
      expect(read[format].edges).toEqual(expected);
    }
    expect(read.layer_of_5).toBe('conv1');
  });
});
