/**
 * How the graph properties of each node layer evolve over epochs:
 * - for a zoo (one architecture), per-layer summaries over the window, one line per run
 *   coloured by the run's actual final accuracy: the signal a predictor can pick up;
 * - for one run, the whole distribution over the layer's nodes at every epoch, as a
 *   heatmap of log-spaced bins, with the median drawn over it.
 */

import { sortedQuantile } from '../../summary/statistics.js';
import { formatEpochs } from '../../util/epochs.js';
import type { Figure } from '../figure.js';
import type { Snapshot } from '../snapshots.js';
import { LOG_LABELS, SCHEMA, accuracyColor, epochAxis } from './common.js';

/** One run's window snapshots and its actual final accuracy. */
export interface EvolutionRun {
  readonly id: string;
  readonly snapshots: readonly Snapshot[];
  readonly finalAccuracy: number;
}

const SHARE = 'centrality share';
const STRENGTH = 'mean strength';

/**
 * The zoo figure for runs of one architecture (same layers), named `name`. `label`
 * names the architecture; `note` is appended to the caption (e.g. how runs were sampled).
 */
export function zooPropertyEvolutionFigure(name: string, label: string, runs: readonly EvolutionRun[], window: readonly number[], note = ''): Figure {
  const layers = runs[0].snapshots[0].layers.map((l) => l.name);
  const values: Record<string, unknown>[] = [];
  for (const run of runs) {
    if (!Number.isFinite(run.finalAccuracy)) continue;
    for (const snapshot of run.snapshots) {
      for (const layer of snapshot.layers) {
        let share = 0;
        for (const c of layer.eigenvector) share += c * c;
        let strength = 0;
        for (const s of layer.strength) strength += s;
        strength /= Math.max(1, layer.strength.length);
        for (const [measure, value] of [
          [SHARE, share],
          [STRENGTH, strength],
        ] as const) {
          // Log axes: zero and non-finite values (diverged weights) are left out.
          if (Number.isFinite(value) && value > 0) values.push({ run: run.id, epoch: snapshot.epoch, layer: layer.name, measure, value, final: run.finalAccuracy });
        }
      }
    }
  }
  const finals = runs.map((r) => r.finalAccuracy).filter(Number.isFinite);
  const title = `Per-layer graph properties over the window: ${label}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: `one line per run (${runs.length} runs), coloured by actual final test accuracy; log scales` },
    data: { values },
    facet: {
      row: { field: 'measure', type: 'nominal', sort: [SHARE, STRENGTH], title: null, header: { labelFontWeight: 'bold', labelFontSize: 11 } },
      column: { field: 'layer', type: 'nominal', sort: layers, title: 'node layer', header: { labelFontSize: 11 } },
    },
    spacing: { row: 22, column: 10 },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: layers.length > 5 ? 90 : 110,
      height: 120,
      // Without point marks: points would turn the colour legend into discrete symbols.
      mark: { type: 'line', strokeWidth: 1.3, opacity: 0.85 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: epochAxis(), scale: { domain: [window[0], window[window.length - 1]] } },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, axis: { title: null, labelExpr: LOG_LABELS, tickCount: 4 } },
        detail: { field: 'run', type: 'nominal' },
        color: accuracyColor('final', 'actual final test accuracy', Math.min(...finals), Math.max(...finals), 'bottom'),
      },
    },
  };
  return {
    name,
    title,
    caption:
      `Graph properties of the rolled graph of each ${label} run at each epoch of the window ${formatEpochs(window)}, per node layer (columns). ` +
      `Top row: the layer's share of eigenvector centrality, the sum of its nodes' squared centralities (centrality has unit norm over the ` +
      `whole graph, so the shares of a graph's layers add up to 1). Bottom row: the mean strength (sum of incident edge weights) of the ` +
      `layer's nodes. Each line is one run, coloured by the test accuracy it reached at the end of training: where colours separate, the ` +
      `property carries information about the final accuracy. Each panel has its own log-scaled vertical axis.` +
      (note ? ` ${note}` : ''),
    spec,
  };
}

const BINS = 16;

interface Measure {
  readonly name: string;
  readonly axis: string;
  readonly values: (snapshot: Snapshot, layer: number) => Float64Array;
}

const HEATMAP_MEASURES: readonly Measure[] = [
  {
    name: 'eigenvector centrality',
    axis: 'eigenvector centrality x sqrt(nodes)',
    // Scaled by sqrt(nodes) so that a uniform centrality is 1 whatever the graph's size.
    values: (s, l) => s.layers[l].eigenvector.map((c) => c * Math.sqrt(s.nodes)),
  },
  { name: 'node strength', axis: 'node strength', values: (s, l) => s.layers[l].strength },
];

/** The one-run heatmap over `snapshots` (ascending epochs, same architecture). */
export function runPropertyHeatmapFigure(runId: string, snapshots: readonly Snapshot[], window: readonly number[]): Figure {
  const layers = snapshots[0].layers.map((l) => l.name);
  const values: Record<string, unknown>[] = [];
  let dropped = 0;
  for (const measure of HEATMAP_MEASURES) {
    layers.forEach((layer, l) => {
      const perEpoch = snapshots.map((s) => {
        const all = measure.values(s, l);
        const kept = Float64Array.from(all.filter((v) => Number.isFinite(v) && v > 0)).sort();
        dropped += all.length - kept.length;
        return kept;
      });
      const logs = perEpoch.flatMap((v) => Array.from(v, Math.log10));
      if (logs.length === 0) return;
      // The extreme values sit at the centres of the end bins (a single value: one bin 0.1 decade high).
      const span = Math.max(...logs) - Math.min(...logs);
      const step = span > 1e-6 ? span / (BINS - 1) : 0.1;
      const lo = Math.min(...logs) - step / 2;
      snapshots.forEach((s, e) => {
        const sample = perEpoch[e];
        if (sample.length === 0) return;
        const counts = new Array<number>(BINS).fill(0);
        for (const v of sample) counts[Math.min(BINS - 1, Math.floor((Math.log10(v) - lo) / step))]++;
        counts.forEach((count, b) => {
          if (count > 0) values.push({ kind: 'bin', measure: measure.name, layer, epoch: s.epoch, low: 10 ** (lo + b * step), high: 10 ** (lo + (b + 1) * step), fraction: count / sample.length });
        });
        values.push({ kind: 'median', measure: measure.name, layer, epoch: s.epoch, median: sortedQuantile(sample, 0.5) });
      });
    });
  }
  const x = { field: 'epoch', type: 'quantitative', axis: epochAxis(), scale: { domain: [snapshots[0].epoch - 0.5, snapshots[snapshots.length - 1].epoch + 0.5], nice: false } };
  const title = `Distribution of node properties per layer over epochs: ${runId}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'colour: share of the layer’s nodes in each log-spaced bin; orange line: median' },
    data: { values },
    facet: {
      row: { field: 'layer', type: 'nominal', sort: layers, title: 'node layer', header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 11 } },
      column: { field: 'measure', type: 'nominal', sort: HEATMAP_MEASURES.map((m) => m.name), title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    },
    spacing: { row: 8, column: 24 },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 64,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'bin'" }, { calculate: 'datum.epoch - 0.5', as: 'left' }, { calculate: 'datum.epoch + 0.5', as: 'right' }],
          mark: { type: 'rect' },
          encoding: {
            x: { ...x, field: 'left' },
            x2: { field: 'right' },
            y: { field: 'low', type: 'quantitative', scale: { type: 'log', nice: false }, axis: { title: null, labelExpr: LOG_LABELS, tickCount: 3, grid: false } },
            y2: { field: 'high' },
            color: { field: 'fraction', type: 'quantitative', scale: { scheme: 'blues', type: 'sqrt', domain: [0, 1] }, legend: { title: 'share of the layer’s nodes', format: '.0%', orient: 'right' } },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'median'" }],
          mark: { type: 'line', color: '#f58518', strokeWidth: 1.5, point: { size: 12, color: '#f58518' } },
          encoding: { x, y: { field: 'median', type: 'quantitative' } },
        },
      ],
    },
  };
  const windowText = formatEpochs(window);
  return {
    name: 'run-property-heatmap',
    title,
    caption:
      `For every node layer (rows) of ${runId}'s rolled graph and every epoch with a checkpoint (x; the predictors see epochs ${windowText}), ` +
      `the distribution of two node properties over the layer's nodes. Left: eigenvector centrality of the undirected weighted graph, ` +
      `multiplied by the square root of the number of nodes so that a uniform centrality is 1. Right: node strength, the sum of the node's ` +
      `incident edge weights (kernel L2 norms for convolutions, |w| for dense layers). Each layer's range is cut into ${BINS} log-spaced bins; ` +
      `the colour is the fraction of the layer's nodes in a bin (square-root colour scale, so that small fractions show) and the orange line the median. Each row has its own vertical axis.` +
      (dropped > 0 ? ` ${dropped} node values that were zero or not finite are left out.` : ''),
    spec,
  };
}
