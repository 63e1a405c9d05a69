/**
 * Feature importance of the featured model: the top features by share of the total split
 * gain, and the gain summed over feature groups (graph property, layer, temporal term),
 * which is steadier than single features when many of them are correlated.
 */
import { WHOLE_GRAPH, parseColumn, parseGraphFeature, parseTemporalFeature } from '../../summary/columns.js';
import type { TemporalTerm } from '../../summary/columns.js';
import type { Figure } from '../figure.js';
import type { FeatureImportance } from '../model.js';
import { SCHEMA } from './common.js';

/** How a feature-table column splits into the groups the figure sums over. */
export interface FeatureParts {
  readonly block: string;
  /** Graph property (eigenvector, strength_in, ..., or a whole-graph figure); the block for other blocks. */
  readonly property: string;
  /** Node layer (or "whole graph"); the block for non-graph features. */
  readonly layer: string;
  /** Temporal term: value at an epoch, change between two epochs, relative change over the window, update between two epochs. */
  readonly term: string;
}

const TERM_LABELS: Readonly<Record<TemporalTerm, string>> = Object.freeze({
  value: 'value at an epoch',
  change: 'change between epochs',
  relative: 'relative change over window',
  update: 'update between epochs',
});

/**
 * Splits a column name (`graph:e3.fc1.eigenvector.q75`, `graph:d2_3.graph.spectral_radius`,
 * `curve:e2.test_acc`) into its groups. Returns them; non-graph blocks group by block.
 */
export function featureParts(column: string): FeatureParts {
  const { block, feature } = parseColumn(column);
  const temporal = parseTemporalFeature(feature);
  if ((block !== 'graph' && block !== 'graph-static') || !temporal) return { block, property: block, layer: block, term: block };
  const { layer, property } = parseGraphFeature(temporal.name);
  return { block, property, layer: layer === WHOLE_GRAPH ? 'whole graph' : layer, term: TERM_LABELS[temporal.term] };
}

/** The groupings of the right-hand panels. */
const GROUP_KINDS = ['graph property', 'node layer', 'temporal term'] as const;

/** Groups with a smaller share of the gain are left out of the right-hand panels. */
const MIN_GROUP_GAIN = 0.001;

/** Options of `importanceFigure`. */
export interface ImportanceOptions {
  /** The model whose importances these are, for the title and caption. */
  readonly modelName: string;
  /** How the model was obtained, for the caption. */
  readonly provenance: string;
  /** Features in the left panel. */
  readonly top?: number;
}

/** The figure: top features on the left, summed gain per group on the right. */
export function importanceFigure(importances: readonly FeatureImportance[], options: ImportanceOptions): Figure {
  const top = options.top ?? 20;
  const topRows = importances.slice(0, top).map((f) => ({ feature: f.feature, gain: f.gain, block: featureParts(f.feature).block }));
  const groups = new Map<string, number>();
  for (const f of importances) {
    const parts = featureParts(f.feature);
    for (const [kind, name] of [
      [GROUP_KINDS[0], parts.property],
      [GROUP_KINDS[1], parts.layer],
      [GROUP_KINDS[2], parts.term],
    ] as const) {
      const key = `${kind}\u0000${name}\u0000${parts.block}`;
      groups.set(key, (groups.get(key) ?? 0) + f.gain);
    }
  }
  const groupRows = [...groups]
    .map(([key, gain]) => {
      const [kind, group, block] = key.split('\u0000');
      return { kind, group, block, gain };
    })
    .filter((r) => r.gain >= MIN_GROUP_GAIN);
  const gainAxis = { title: 'share of total split gain', format: '.0%' };
  const blockColor = { field: 'block', type: 'nominal', scale: { scheme: 'tableau10' }, legend: { title: 'feature block', orient: 'bottom' } };
  const title = `Feature importance: ${options.modelName}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'gain = loss reduction of every split on the feature, summed over all trees, as a share of the total' },
    hconcat: [
      {
        title: { text: `top ${topRows.length} features`, fontSize: 12, fontWeight: 'normal' },
        data: { values: topRows },
        width: 260,
        height: { step: 15 },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: '-x', axis: { title: null, labelLimit: 360, labelFontSize: 9 } },
          x: { field: 'gain', type: 'quantitative', axis: gainAxis },
          color: blockColor,
        },
      },
      {
        vconcat: GROUP_KINDS.map((kind) => ({
          title: { text: `summed by ${kind}`, fontSize: 12, fontWeight: 'normal' },
          data: { values: groupRows.filter((r) => r.kind === kind) },
          width: 200,
          height: { step: 13 },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'group', type: 'nominal', sort: '-x', axis: { title: null, labelLimit: 200, labelFontSize: 9 } },
            x: { field: 'gain', type: 'quantitative', axis: gainAxis },
            color: blockColor,
          },
        })),
        spacing: 18,
      },
    ],
    spacing: 40,
    resolve: { scale: { color: 'shared' } },
  };
  return {
    name: 'feature-importance',
    title,
    caption:
      `Which features the ${options.modelName} model relies on (${options.provenance}). Left: the ${topRows.length} features with the largest share ` +
      `of the total split gain of the gradient-boosted trees, out of ${importances.length} features used in at least one split. ` +
      `Names follow the feature table (epochgraph features): block:term.layer.property.statistic, where term e3 is the value at epoch 3, ` +
      `d2_3 the change from epoch 2 to 3, rel0_3 the relative change over the window and u2_3 the update from epoch 2 to 3. Right: the same gains summed by graph property, ` +
      `by node layer and by temporal term (non-graph features are grouped by their block; groups under 0.1% are left out). Gain importances describe the fitted model, ` +
      `not causal effects, and spread over correlated features.`,
    spec,
  };
}
