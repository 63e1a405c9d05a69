/**
 * A drawing of one network's rolled graph at two epochs side by side: node layers as
 * columns, node size = eigenvector centrality, edge opacity = weight relative to the
 * strongest edge between the same layers (over both epochs, so growth shows). When a
 * layer has too many incoming edges a uniform random sample of them is drawn (the same
 * edges at both epochs), and the caption says how many.
 */
import type { Graph } from '../../graph/graph.js';
import type { GraphProperties } from '../../properties/compute.js';
import { formatNumber } from '../../util/format.js';
import { createRng } from '../../util/random.js';
import type { Figure } from '../figure.js';
import { SCHEMA } from './common.js';

/** One epoch's graph and properties. */
export interface DrawnSnapshot {
  readonly epoch: number;
  /** Panel label, e.g. "epoch 0 (initial weights)". */
  readonly label: string;
  readonly graph: Graph;
  readonly properties: GraphProperties;
}

/** Layers with more nodes than this are drawn without node outlines. */
const CROWDED = 60;

/** Edges drawn per panel at most, by default. */
export const MAX_DRAWN_EDGES = 3000;

/** Picks `k` distinct integers of [0, n) uniformly at random (seeded). Returns them as a set. */
function sample(n: number, k: number, seed: number): Set<number> {
  if (k >= n) return new Set(Array.from({ length: n }, (_, i) => i));
  const rng = createRng(seed);
  // Floyd's algorithm: k draws, no array of size n.
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(rng.uniform() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return chosen;
}

/**
 * Shares `budget` edges among layers with `counts` incoming edges: layers that fit in an
 * equal share keep all their edges, the rest split what remains. Returns the kept counts.
 */
function allocate(counts: readonly number[], budget: number): number[] {
  const kept = new Array<number>(counts.length).fill(0);
  const order = counts.map((_, i) => i).sort((a, b) => counts[a] - counts[b]);
  let left = budget;
  order.forEach((layer, k) => {
    const share = Math.floor(left / (order.length - k));
    kept[layer] = Math.min(counts[layer], share);
    left -= kept[layer];
  });
  return kept;
}

/** The figure for `snapshots` (same architecture), drawing at most `maxEdges` edges per panel. */
export function graphDrawingFigure(runId: string, snapshots: readonly DrawnSnapshot[], maxEdges = MAX_DRAWN_EDGES): Figure {
  const { graph } = snapshots[0];
  const layers = graph.layers;
  const layerOf = new Uint32Array(graph.nodeCount);
  layers.forEach((layer, l) => layerOf.fill(l, layer.offset, layer.offset + layer.size));
  const position = (v: number) => {
    const layer = layers[layerOf[v]];
    return (v - layer.offset + 0.5) / layer.size;
  };

  // Edges ending in each layer, the sampled ones, and the strongest weight over both epochs.
  const counts = layers.map(() => 0);
  graph.adjacency.forEachEdge((_, target) => counts[layerOf[target]]++);
  const kept = allocate(counts, maxEdges);
  const chosen = layers.map((_, l) => sample(counts[l], kept[l], 1 + l));
  const strongest = layers.map(() => 0);
  for (const s of snapshots) s.graph.adjacency.forEachEdge((_, target, w) => (strongest[layerOf[target]] = Math.max(strongest[layerOf[target]], Math.abs(w))));

  const values: Record<string, unknown>[] = [];
  for (const s of snapshots) {
    const seen = layers.map(() => 0);
    s.graph.adjacency.forEachEdge((source, target, w) => {
      const l = layerOf[target];
      if (!chosen[l].has(seen[l]++)) return;
      const relative = strongest[l] > 0 ? Math.abs(w) / strongest[l] : 0;
      if (!Number.isFinite(relative)) return;
      values.push({ kind: 'edge', panel: s.label, x: layerOf[source], y: position(source), x2: l, y2: position(target), relative });
    });
    const centrality = s.properties.values.eigenvector;
    for (let v = 0; v < s.graph.nodeCount; v++) {
      if (!Number.isFinite(centrality[v])) continue;
      // A white outline separates sparse nodes but would blank out a crowded column.
      const outline = layers[layerOf[v]].size > CROWDED ? 0 : 0.5;
      values.push({ kind: 'node', panel: s.label, x: layerOf[v], y: position(v), centrality: centrality[v], type: layers[layerOf[v]].kind, outline });
    }
  }
  const names = JSON.stringify(layers.map((l) => l.name));
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: { domain: [-0.4, layers.length - 0.6], nice: false },
    axis: { title: null, values: layers.map((_, l) => l), labelExpr: `${names}[datum.value]`, grid: false, domain: false, ticks: false, orient: 'top', labelFontSize: 10 },
  };
  const y = { field: 'y', type: 'quantitative', scale: { domain: [0, 1], reverse: true, nice: false }, axis: null };
  const sampledLayers = layers.flatMap((layer, l) => (kept[l] < counts[l] ? [`${formatNumber(kept[l])} of ${formatNumber(counts[l])} edges into ${layer.name}`] : []));
  const totalEdges = counts.reduce((a, b) => a + b, 0);
  const title = `Rolled graph of ${runId}`;
  const spec = {
    $schema: SCHEMA,
    title: {
      text: title,
      subtitle: `${graph.nodeCount} nodes, ${totalEdges} edges${sampledLayers.length > 0 ? ` (${kept.reduce((a, b) => a + b, 0)} drawn per panel, sampled)` : ''}; node area: eigenvector centrality; edge opacity: weight`,
    },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', sort: snapshots.map((s) => s.label), title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } } },
    spacing: 24,
    spec: {
      width: Math.max(260, 70 * layers.length),
      height: 400,
      view: { stroke: null },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'edge'" }],
          mark: { type: 'rule', strokeWidth: 0.6, color: '#2b4c7e' },
          encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, opacity: { field: 'relative', type: 'quantitative', scale: { domain: [0, 1], range: [0, 0.55] }, legend: null } },
        },
        {
          transform: [{ filter: "datum.kind === 'node'" }],
          mark: { type: 'circle', stroke: 'white', opacity: 1 },
          encoding: {
            x,
            y,
            strokeWidth: { field: 'outline', type: 'quantitative', scale: null },
            size: { field: 'centrality', type: 'quantitative', scale: { zero: true, range: [0, 160] }, legend: { title: 'eigenvector centrality', format: '.2~g', orient: 'right' } },
            color: { field: 'type', type: 'nominal', scale: { scheme: 'dark2' }, legend: { title: 'layer kind', orient: 'right' } },
          },
        },
      ],
    },
  };
  return {
    name: 'graph-drawing',
    title,
    caption:
      `The rolled graph of ${runId} at ${snapshots.map((s) => s.label).join(' and at ')}. Columns are node layers (input channels or features, ` +
      `then the output channels of each convolution and the neurons of each dense layer); nodes are ordered by index within a layer. A node's area ` +
      `is proportional to its eigenvector centrality in the undirected weighted graph of that epoch. An edge's opacity is its weight (kernel L2 norm ` +
      `for convolutions, |w| for dense layers) divided by the largest weight into the same layer over both epochs, so growth between the panels shows.` +
      (sampledLayers.length > 0
        ? ` Edges are subsampled to keep the drawing readable: ${sampledLayers.join('; ')} (a uniform random sample, the same edges in both panels).`
        : ' Every edge is drawn.'),
    spec,
  };
}
