/**
 * The figures about one run, shared by the zoo report's close-up and `epochgraph
 * inspect`: its learning curves (with a prediction when there is one), the distribution
 * of its node properties per layer over epochs, and its rolled graph drawn at epoch 0
 * and at the end of the window.
 */
import type { Run } from '../checkpoint/run.js';
import { windowCheckpoints } from '../summary/features.js';
import type { Figure } from './figure.js';
import { graphDrawingFigure } from './figures/graph-drawing.js';
import type { DrawnSnapshot } from './figures/graph-drawing.js';
import { runLearningCurvesFigure } from './figures/learning-curves.js';
import type { RunPrediction } from './figures/learning-curves.js';
import { runPropertyHeatmapFigure } from './figures/property-evolution.js';
import { finiteProperties, runEpochs, runSnapshots } from './snapshots.js';

/** Epochs the heatmap shows at most (a long run is thinned evenly). */
const HEATMAP_EPOCHS = 40;

/** The two snapshots the graph drawing shows: epoch 0 (or the window start) and the window end. */
async function drawnSnapshots(run: Run, window: readonly number[]): Promise<DrawnSnapshot[]> {
  const paths = windowCheckpoints(run, window);
  const end = window[window.length - 1];
  const initial = run.checkpoints.find((c) => c.epoch === 0);
  const start = initial ? 0 : window[0];
  const snapshot = async (path: string, epoch: number, label: string): Promise<DrawnSnapshot[]> => {
    const computed = await finiteProperties(path);
    return computed ? [{ epoch, label, ...computed }] : [];
  };
  const last = await snapshot(paths[paths.length - 1], end, `epoch ${end} (end of window)`);
  if (start === end) return last;
  const first = await snapshot(initial ? initial.path : paths[0], start, start === 0 ? 'epoch 0 (initial weights)' : `epoch ${start} (start of window)`);
  return [...first, ...last];
}

/**
 * The figures of one run, over the epoch window `window`, with its `prediction` if any.
 * Returns them in page order; throws `RunFormatError` when a window checkpoint is missing.
 */
export async function runFigures(run: Run, window: readonly number[], prediction?: RunPrediction): Promise<Figure[]> {
  const drawn = await drawnSnapshots(run, window);
  const snapshots = await runSnapshots(run, runEpochs(run, window, HEATMAP_EPOCHS));
  // Snapshots with non-finite weights (a diverged run) have no graph to draw or summarise.
  return [
    runLearningCurvesFigure(run.id, run.history, window, prediction),
    ...(snapshots.length > 0 ? [runPropertyHeatmapFigure(run.id, snapshots, window)] : []),
    ...(drawn.length > 0 ? [graphDrawingFigure(run.id, drawn)] : []),
  ];
}
