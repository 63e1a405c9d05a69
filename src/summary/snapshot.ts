/**
 * Features of one snapshot (one epoch's graph and its properties).
 *
 * Two layouts:
 * - `per-layer`: statistics of every node property over every node layer, named by the
 *   layer (`fc1.eigenvector.q75`), each layer's incoming weights (`fc1.total_weight`,
 *   `fc1.spectral_radius`), plus graph-level figures. For zoos of one architecture.
 * - `agnostic`: the same statistics pooled over groups defined by relative depth
 *   (`input`, `first_hidden`, `hidden` = every hidden layer, `last_hidden`, `output`),
 *   with values normalised by the graph's size: strengths
 *   divided by the node's degree (mean incident edge weight), eigenvector centrality
 *   times sqrt(nodes) (a uniform vector scores 1), PageRank times nodes (uniform = 1),
 *   the spectral radius times sqrt(edges) / total weight (about 1 for i.i.d. weights), for
 *   the whole graph and averaged over each group's layers, whose incoming weights are also
 *   summarised by their mean edge weight.
 *   For width transfer and unseen architectures. Measured, these normalisations do not make
 *   the per-epoch values comparable across widths (in a layered graph PageRank gathers in the output
 *   layer and centrality in the widest layers, and initial weights scale with 1 / sqrt(fan-in)),
 *   so the temporal summary keeps per-epoch values and differences only of the normalised
 *   spectral radii, and of every other feature only its relative change over the window
 *   (`keepsValues`), a ratio free of scale.
 *
 * Between consecutive snapshots, `updateFeatures` describes the update graph (edges
 * weighted by how far they moved, `properties/update-strength.ts`) over the same groups:
 * statistics of every node's relative update in and out (its update strength over its
 * strength in the earlier snapshot), and the relative update of the group's incoming
 * weights (`fc1.relative_update_in.q50`, `fc1.relative_update`). Ratios do not depend on
 * width, so both layouts use them as they are.
 */
import type { Graph } from '../graph/graph.js';
import { NODE_PROPERTIES } from '../properties/compute.js';
import type { GraphProperties, NodeProperty } from '../properties/compute.js';
import type { UpdateStrengths } from '../properties/update-strength.js';
import { concatArrays } from '../util/arrays.js';
import { WHOLE_GRAPH, graphFeature, parseGraphFeature } from './columns.js';
import { STATISTICS, describeInto } from './statistics.js';

/** Feature layouts. */
export const LAYOUTS = ['per-layer', 'agnostic'] as const;
export type FeatureLayout = (typeof LAYOUTS)[number];

/** Named feature values. */
export interface FeatureVector {
  readonly names: readonly string[];
  readonly values: Float64Array;
}

/**
 * Whether the temporal summary keeps a snapshot feature's per-epoch values and differences:
 * every feature in the per-layer layout; in the agnostic layout only the normalised spectral
 * radii, the values that stay comparable across widths.
 */
export function keepsValues(layout: FeatureLayout, name: string): boolean {
  return layout === 'per-layer' || parseGraphFeature(name).property === 'spectral_radius_normalised';
}

/** Feature spelling of each node property. */
const PROPERTY_NAMES: Readonly<Record<NodeProperty, string>> = {
  strengthIn: 'strength_in',
  strengthOut: 'strength_out',
  strength: 'strength',
  eigenvector: 'eigenvector',
  pagerank: 'pagerank',
};

/** A named set of node indices. */
interface NodeGroup {
  readonly name: string;
  readonly nodes: Uint32Array;
  /** Properties that are identically zero on this group by construction, left out. */
  readonly skip: ReadonlySet<NodeProperty>;
  /** Indices of the layers the group holds. */
  readonly layers: readonly number[];
}

function range(offset: number, size: number): Uint32Array {
  return Uint32Array.from({ length: size }, (_, i) => offset + i);
}

/** A spectral radius made comparable across widths: times sqrt(edges) / total weight, about 1 for i.i.d. weights. */
function normalisedRadius(radius: number, edges: number, totalWeight: number): number {
  return (radius * Math.sqrt(edges)) / Math.max(totalWeight, Number.MIN_VALUE);
}

const NO_IN = new Set<NodeProperty>(['strengthIn']);
const NO_OUT = new Set<NodeProperty>(['strengthOut']);
const NONE = new Set<NodeProperty>();

function groupsOf(graph: Graph, layout: FeatureLayout): NodeGroup[] {
  const layers = graph.layers;
  const last = layers.length - 1;
  const skipFor = (i: number) => (i === 0 ? NO_IN : i === last ? NO_OUT : NONE);
  if (layout === 'per-layer') return layers.map((l, i) => ({ name: l.name, nodes: range(l.offset, l.size), skip: skipFor(i), layers: [i] }));
  const hidden = layers.slice(1, last);
  const hiddenIndices = hidden.map((_, i) => i + 1);
  const groups: NodeGroup[] = [{ name: 'input', nodes: range(layers[0].offset, layers[0].size), skip: NO_IN, layers: [0] }];
  if (hidden.length > 0) {
    groups.push(
      { name: 'first_hidden', nodes: range(hidden[0].offset, hidden[0].size), skip: NONE, layers: [1] },
      { name: 'hidden', nodes: concatArrays(hidden.map((l) => range(l.offset, l.size)), (n) => new Uint32Array(n)), skip: NONE, layers: hiddenIndices },
      { name: 'last_hidden', nodes: range(hidden.at(-1)!.offset, hidden.at(-1)!.size), skip: NONE, layers: [last - 1] },
    );
  }
  groups.push({ name: 'output', nodes: range(layers[last].offset, layers[last].size), skip: NO_OUT, layers: [last] });
  return groups;
}

/**
 * Extracts snapshot features. Keeps, per architecture, the node grouping and degrees
 * (which do not change between epochs), so reuse one featurizer across a run's epochs.
 */
export class SnapshotFeaturizer {
  private cache: { signature: string; groups: NodeGroup[]; degreeIn: Float64Array; degreeOut: Float64Array } | undefined;

  constructor(readonly layout: FeatureLayout) {}

  private structure(graph: Graph) {
    const signature = graph.layers.map((l) => `${l.name}:${l.size}`).join('|') + `#${graph.edgeCount}`;
    if (this.cache?.signature !== signature) {
      const degreeIn = new Float64Array(graph.nodeCount);
      const degreeOut = new Float64Array(graph.nodeCount);
      if (this.layout === 'agnostic') {
        graph.adjacency.forEachEdge((source, target) => {
          degreeOut[source]++;
          degreeIn[target]++;
        });
      }
      this.cache = { signature, groups: groupsOf(graph, this.layout), degreeIn, degreeOut };
    }
    return this.cache;
  }

  /** Returns the features of one snapshot. */
  features(graph: Graph, properties: GraphProperties): FeatureVector {
    const { groups, degreeIn, degreeOut } = this.structure(graph);
    const agnostic = this.layout === 'agnostic';
    const n = graph.nodeCount;
    const normalised = (property: NodeProperty, v: number): number => {
      const x = properties.values[property][v];
      if (!agnostic) return x;
      switch (property) {
        case 'strengthIn':
          return degreeIn[v] > 0 ? x / degreeIn[v] : 0;
        case 'strengthOut':
          return degreeOut[v] > 0 ? x / degreeOut[v] : 0;
        case 'strength':
          return degreeIn[v] + degreeOut[v] > 0 ? x / (degreeIn[v] + degreeOut[v]) : 0;
        case 'eigenvector':
          return x * Math.sqrt(n);
        case 'pagerank':
          return x * n;
      }
    };
    const names: string[] = [];
    const values: number[] = [];
    const stats = new Float64Array(STATISTICS.length);
    for (const group of groups) {
      for (const property of NODE_PROPERTIES) {
        if (group.skip.has(property)) continue;
        const sample = new Float64Array(group.nodes.length);
        for (let i = 0; i < sample.length; i++) sample[i] = normalised(property, group.nodes[i]);
        describeInto(sample, stats, 0);
        STATISTICS.forEach((stat, k) => {
          names.push(graphFeature(group.name, PROPERTY_NAMES[property], stat));
          values.push(stats[k]);
        });
      }
      const incoming = group.layers.map((i) => properties.layers[i].incoming).filter((l) => l.edges > 0);
      if (incoming.length === 0) continue;
      if (agnostic) {
        const edges = incoming.reduce((s, l) => s + l.edges, 0);
        const total = incoming.reduce((s, l) => s + l.totalWeight, 0);
        const radius = incoming.reduce((s, l) => s + normalisedRadius(l.spectralRadius, l.edges, l.totalWeight), 0) / incoming.length;
        names.push(graphFeature(group.name, 'mean_edge_weight'), graphFeature(group.name, 'spectral_radius_normalised'));
        values.push(total / edges, radius);
      } else {
        names.push(graphFeature(group.name, 'total_weight'), graphFeature(group.name, 'spectral_radius'));
        values.push(incoming[0].totalWeight, incoming[0].spectralRadius);
      }
    }
    const meanEdgeWeight = properties.totalWeight / Math.max(1, properties.edges);
    if (agnostic) {
      names.push(graphFeature(WHOLE_GRAPH, 'mean_edge_weight'), graphFeature(WHOLE_GRAPH, 'spectral_radius_normalised'));
      values.push(meanEdgeWeight, normalisedRadius(properties.spectralRadius, properties.edges, properties.totalWeight));
    } else {
      names.push(graphFeature(WHOLE_GRAPH, 'total_weight'), graphFeature(WHOLE_GRAPH, 'spectral_radius'));
      values.push(properties.totalWeight, properties.spectralRadius);
    }
    return { names, values: Float64Array.from(values) };
  }

  /**
   * Returns the features of the update from the earlier snapshot to `graph`: per group,
   * statistics of the nodes' relative updates in and out (nodes without edges that way in
   * the earlier snapshot left out) and the relative update of the group's incoming weights.
   */
  updateFeatures(graph: Graph, update: UpdateStrengths): FeatureVector {
    const { groups } = this.structure(graph);
    const names: string[] = [];
    const values: number[] = [];
    const stats = new Float64Array(STATISTICS.length);
    const ratios = (nodes: Uint32Array, moved: Float64Array, before: Float64Array) => {
      const sample: number[] = [];
      for (const v of nodes) if (before[v] > 0) sample.push(moved[v] / before[v]);
      return Float64Array.from(sample);
    };
    for (const group of groups) {
      const sides = [
        ['in', update.in, update.previousIn, 'strengthIn'],
        ['out', update.out, update.previousOut, 'strengthOut'],
      ] as const;
      for (const [side, moved, before, property] of sides) {
        if (group.skip.has(property)) continue;
        describeInto(ratios(group.nodes, moved, before), stats, 0);
        STATISTICS.forEach((stat, k) => {
          names.push(graphFeature(group.name, `relative_update_${side}`, stat));
          values.push(stats[k]);
        });
      }
      if (group.skip.has('strengthIn')) continue;
      let moved = 0;
      let before = 0;
      for (const v of group.nodes) {
        moved += update.in[v];
        before += update.previousIn[v];
      }
      names.push(graphFeature(group.name, 'relative_update'));
      values.push(before > 0 ? moved / before : NaN);
    }
    return { names, values: Float64Array.from(values) };
  }
}
