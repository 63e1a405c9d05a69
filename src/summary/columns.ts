/**
 * Feature column names: the one place that spells them and reads them back.
 *
 * A column is `block:feature` (`graph:e3.fc1.eigenvector.mean`, `curve:e2.test_acc`).
 * A temporal feature opens with a term naming the window epochs it describes:
 *
 * | term        | spelling   | meaning                                               |
 * | ----------- | ---------- | ----------------------------------------------------- |
 * | `value`     | `e3`       | the value at epoch 3                                  |
 * | `change`    | `d2_3`     | value at 3 minus value at 2 (consecutive window epochs) |
 * | `relative`  | `rel0_3`   | (last - first) / (abs(first) + 1e-12) over the window 0..3  |
 * | `update`    | `u2_3`     | a feature of the weight update from epoch 2 to epoch 3 |
 *
 * The rest of a graph feature is `layer.property.statistic` (`fc1.eigenvector.q75`), or
 * `layer.figure` for a layer-level figure (`fc1.spectral_radius`); `graph` stands for the
 * whole graph. Layer names may hold dots; a statistic is always one of `STATISTICS`.
 */
import { STATISTICS } from './statistics.js';

/** Temporal terms, in the order the summary emits them. */
export const TEMPORAL_TERMS = ['value', 'change', 'relative', 'update'] as const;
export type TemporalTerm = (typeof TEMPORAL_TERMS)[number];

const TERM_PREFIX: Readonly<Record<TemporalTerm, string>> = Object.freeze({ value: 'e', change: 'd', relative: 'rel', update: 'u' });
const TERM_PATTERN = /^(e|d|rel|u)(\d+)(?:_(\d+))?$/;

/** The name standing for the whole graph in place of a layer name. */
export const WHOLE_GRAPH = 'graph';

/** The column of `feature` in `block`. */
export function columnName(block: string, feature: string): string {
  return `${block}:${feature}`;
}

/** Splits a column into its block and feature (block "" for a name without one). */
export function parseColumn(column: string): { readonly block: string; readonly feature: string } {
  const colon = column.indexOf(':');
  return { block: column.slice(0, Math.max(0, colon)), feature: column.slice(colon + 1) };
}

/**
 * A temporal feature: `term` at `epochs` (one epoch for `value`, two for the others) of
 * the snapshot or update feature `name`.
 */
export function temporalFeature(term: TemporalTerm, epochs: readonly [number] | readonly [number, number], name: string): string {
  const span = term === 'value' ? `${epochs[0]}` : `${epochs[0]}_${epochs[1]}`;
  return `${TERM_PREFIX[term]}${span}.${name}`;
}

/** A temporal feature read back, or undefined for a feature without a term. */
export interface ParsedTemporalFeature {
  readonly term: TemporalTerm;
  /** The epoch of a value; the first and last epoch of the others. */
  readonly epochs: readonly number[];
  /** The snapshot or update feature the term applies to. */
  readonly name: string;
}

/** Reads a temporal feature name back. Returns undefined when it opens with no term. */
export function parseTemporalFeature(feature: string): ParsedTemporalFeature | undefined {
  const dot = feature.indexOf('.');
  const match = TERM_PATTERN.exec(dot < 0 ? feature : feature.slice(0, dot));
  if (!match || dot < 0) return undefined;
  const term = TEMPORAL_TERMS.find((t) => TERM_PREFIX[t] === match[1]) as TemporalTerm;
  if ((term === 'value') !== (match[3] === undefined)) return undefined;
  const epochs = match[3] === undefined ? [Number(match[2])] : [Number(match[2]), Number(match[3])];
  return { term, epochs, name: feature.slice(dot + 1) };
}

/** A graph snapshot feature: a node property's statistic over a layer, or a layer-level figure (no statistic). */
export function graphFeature(layer: string, property: string, statistic?: string): string {
  return statistic === undefined ? `${layer}.${property}` : `${layer}.${property}.${statistic}`;
}

const STATISTIC_NAMES = new Set<string>(STATISTICS);

/** A graph feature (without its temporal term) read back into layer, property and statistic. */
export function parseGraphFeature(name: string): { readonly layer: string; readonly property: string; readonly statistic?: string } {
  const parts = name.split('.');
  const hasStatistic = parts.length > 2 && STATISTIC_NAMES.has(parts[parts.length - 1]);
  const propertyAt = hasStatistic ? parts.length - 2 : parts.length - 1;
  return { layer: parts.slice(0, propertyAt).join('.'), property: parts[propertyAt], ...(hasStatistic ? { statistic: parts[parts.length - 1] } : {}) };
}

/** The learning-curve column of metric `metric` (`test_acc`, ...) at `epoch`. */
export function curveColumn(epoch: number, metric: string): string {
  return columnName('curve', temporalFeature('value', [epoch], metric));
}

/** What the learning-curve extrapolation gives of the final accuracy: the prediction and its 90% interval. */
export const EXTRAPOLATION_FIELDS = ['predicted', 'lower', 'upper'] as const;
export type ExtrapolationField = (typeof EXTRAPOLATION_FIELDS)[number];

/** The feature (in block `lc`) of the extrapolated final accuracy's `field`. */
export function extrapolationFeature(field: ExtrapolationField): string {
  return `final.${field}`;
}

/** The column of the extrapolated final accuracy's `field`. */
export function extrapolationColumn(field: ExtrapolationField): string {
  return columnName('lc', extrapolationFeature(field));
}

/** Node properties and statistics of the compact graph summary: strength and eigenvector centrality, as the method's paper used. */
const COMPACT_PROPERTIES = new Set(['strength', 'eigenvector']);
const COMPACT_STATISTICS = new Set(['mean', 'std', 'max']);

/** Whether a graph snapshot feature (no temporal term) is one the compact summary describes. */
function isCompactSnapshotFeature(name: string): boolean {
  const { property, statistic } = parseGraphFeature(name);
  return COMPACT_PROPERTIES.has(property) && statistic !== undefined && COMPACT_STATISTICS.has(statistic);
}

/**
 * The `graph` features of `features` that make the compact summary, for zoos of a few dozen
 * runs: per layer the mean, standard deviation and maximum of total strength and eigenvector
 * centrality at each window epoch and their changes between consecutive epochs (a few
 * hundred columns where the whole summary has thousands). Where the layout keeps no
 * per-epoch values of such a feature (the agnostic layout keeps only relative changes of
 * scale-bound features, snapshot.ts), its relative change over the window stands in.
 * Returns them in the order given.
 */
export function compactGraphFeatures(features: readonly string[]): string[] {
  const parsed = features.map(parseTemporalFeature);
  const withValues = new Set(parsed.flatMap((t) => (t?.term === 'value' ? [t.name] : [])));
  return features.filter((_, k) => {
    const temporal = parsed[k];
    if (!temporal || temporal.term === 'update' || !isCompactSnapshotFeature(temporal.name)) return false;
    return temporal.term === 'relative' ? !withValues.has(temporal.name) : true;
  });
}
