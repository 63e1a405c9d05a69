/**
 * Learning curves: for a zoo, every run's test accuracy and training loss per epoch,
 * coloured by the accuracy the featured method predicted from the window; for one run,
 * its four curves, with its prediction and interval drawn at the final epoch.
 */
import type { HistoryEntry } from '../../checkpoint/run.js';
import { formatEpochs } from '../../util/epochs.js';
import type { Figure } from '../figure.js';
import { LOG_LABELS, SCHEMA, accuracyColor, epochAxis, percentAxis, windowBand } from './common.js';

/** One run's curve and its prediction. */
export interface CurveRun {
  readonly id: string;
  readonly history: readonly HistoryEntry[];
  /** Predicted final test accuracy (NaN: none). */
  readonly predicted: number;
}

const LOSS_AXIS = { title: 'training loss (cross-entropy, log scale)', labelExpr: LOG_LABELS };

/** The zoo figure: test accuracy and training loss per epoch, one line per run, coloured by `predicted`. */
export function zooLearningCurvesFigure(runs: readonly CurveRun[], window: readonly number[], methodName: string): Figure {
  const shown = runs.filter((r) => Number.isFinite(r.predicted) && r.history.length > 0);
  const values = shown.flatMap((r) =>
    r.history.map((h) => ({
      run: r.id,
      epoch: h.epoch,
      test_acc: h.test_acc,
      // Zero or non-finite losses cannot sit on a log axis; they are left as gaps.
      train_loss: h.train_loss !== null && h.train_loss > 0 ? h.train_loss : null,
      predicted: r.predicted,
    })),
  );
  const predictedValues = shown.map((r) => r.predicted);
  const color = accuracyColor('predicted', 'predicted final test accuracy', Math.min(...predictedValues), Math.max(...predictedValues), 'right');
  const panel = (field: string, y: Record<string, unknown>) => ({
    width: 330,
    height: 230,
    layer: [
      ...windowBand(window),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.4, opacity: 0.85, interpolate: 'linear' },
        encoding: { x: { field: 'epoch', type: 'quantitative', axis: epochAxis() }, y: { field, type: 'quantitative', ...y }, detail: { field: 'run', type: 'nominal' }, color },
      },
    ],
  });
  const title = 'Learning curves coloured by predicted final accuracy';
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: `one line per run (${shown.length} runs); colour: prediction of ${methodName} from epochs ${formatEpochs(window)}` },
    hconcat: [panel('test_acc', { scale: { domain: [0, 1] }, axis: percentAxis('test accuracy') }), panel('train_loss', { scale: { type: 'log' }, axis: LOSS_AXIS })],
    resolve: { scale: { color: 'shared' } },
  };
  return {
    name: 'learning-curves',
    title,
    caption:
      `Every run's test accuracy (left) and mean training loss (right) after each epoch, epoch 0 being the initial weights. ` +
      `The colour of a line is the final test accuracy that ${methodName} predicted for that run from the shaded epoch window alone ` +
      `(out of fold: the run's configuration was not in the training part). If the predictor works, colours sort the right-hand ends ` +
      `of the accuracy curves. Gaps in a loss curve are epochs whose loss was not finite (diverged runs).`,
    spec,
  };
}

/** A prediction of one run's final accuracy with its interval. */
export interface RunPrediction {
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
  /** Name of the predicting model, for the legend. */
  readonly label: string;
}

/** The one-run figure: accuracies and losses per epoch, and with `prediction` its value and interval at the final epoch. */
export function runLearningCurvesFigure(runId: string, history: readonly HistoryEntry[], window: readonly number[], prediction?: RunPrediction): Figure {
  const rows = (keys: readonly (readonly [keyof HistoryEntry, string])[]) =>
    history.flatMap((h) => keys.map(([key, series]) => ({ epoch: h.epoch, series, value: h[key] })).filter((r) => r.value !== null && Number.isFinite(r.value)));
  const accuracy = rows([
    ['train_acc', 'train'],
    ['test_acc', 'test'],
  ]);
  const loss = rows([
    ['train_loss', 'train'],
    ['test_loss', 'test'],
  ]).filter((r) => (r.value as number) > 0);
  const color = { field: 'series', type: 'nominal', scale: { domain: ['train', 'test'], range: ['#f58518', '#4c78a8'] }, legend: { title: 'split', orient: 'bottom' } };
  const finalEpoch = history.length > 0 ? history[history.length - 1].epoch : 0;
  // Room right of the last epoch for the prediction, drawn beside the final point rather than over it.
  const at = finalEpoch + 0.35;
  const x = { field: 'epoch', type: 'quantitative', axis: epochAxis(), scale: { domain: [Math.min(0, window[0]) - 0.3, finalEpoch + 0.6], nice: false } };
  const curve = (values: object[], y: Record<string, unknown>) => ({
    data: { values },
    mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.6 },
    encoding: { x, y: { field: 'value', type: 'quantitative', ...y }, color },
  });
  const data = { values: [{ epoch: at, ...prediction }] };
  const predictionLayers = prediction
    ? [
        {
          data,
          mark: { type: 'rule', strokeWidth: 2.5, color: '#54a24b' },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } },
        },
        {
          data,
          mark: { type: 'point', shape: 'diamond', filled: true, size: 90, color: '#54a24b', opacity: 1 },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' } },
        },
        {
          data,
          mark: { type: 'text', align: 'right', baseline: 'top', dy: 4, fontSize: 10, color: '#3b7a35' },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'lower', type: 'quantitative' }, text: { value: 'predicted' } },
        },
      ]
    : [];
  const panel = (layers: object[]) => ({ width: 330, height: 230, layer: [...windowBand(window), ...layers] });
  const title = `Learning curves of ${runId}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: prediction ? `green diamond and bar: predicted final test accuracy and interval (${prediction.label})` : `shaded: epoch window ${formatEpochs(window)}` },
    hconcat: [
      panel([curve(accuracy, { scale: { domain: [0, 1] }, axis: percentAxis('accuracy') }), ...predictionLayers]),
      panel([curve(loss, { scale: { type: 'log' }, axis: { title: 'loss (cross-entropy, log scale)', labelExpr: LOG_LABELS } })]),
    ],
    resolve: { scale: { color: 'shared' } },
  };
  return {
    name: 'run-learning-curves',
    title,
    caption:
      `Training and test accuracy (left) and loss (right) of ${runId} after each epoch; epoch 0 is the initial weights, training values of ` +
      `later epochs are means over that epoch's minibatches. The shaded band is the epoch window ${formatEpochs(window)} the predictors see.` +
      (prediction
        ? ` The green diamond just right of the final epoch is the final test accuracy predicted by ${prediction.label} from that window, the bar its interval; compare it with the blue test curve's last point.`
        : ''),
    spec,
  };
}
