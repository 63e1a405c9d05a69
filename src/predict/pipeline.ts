/**
 * The predictor pipeline of one method: model selection among candidate regressors by
 * grouped inner cross-validation, a refit on all training rows, and a split-conformal
 * style interval whose half-width is the `coverage` quantile of the chosen candidate's
 * out-of-fold absolute residuals (cross-conformal; Vovk 2015, Barber et al. 2021).
 * Candidates are fitted on a transform of the accuracy (by default its logit; target.ts)
 * and their predictions mapped back. Selection is by squared error in accuracy. The interval
 * is taken on one of two scales, both from the same out-of-fold residuals: the estimators'
 * (symmetric in log-odds with the logit: mapped back, narrow for runs predicted near 100%,
 * wide in the middle; a monotone map keeps the conformal coverage) or accuracy itself
 * (constant width). A few runs predicted far off in log-odds, typically diverged runs in a
 * small zoo, make the first very wide everywhere; the fit keeps the scale whose intervals
 * are narrower on average over the training runs' out-of-fold predictions.
 * Predictions and bounds are clipped to [0, 1], the range of an accuracy.
 *
 * With a prior (a model-free prediction of each run's final accuracy: the window's last
 * test accuracy or the learning curve's extrapolation, `options.prior`), every candidate
 * learns only the correction to it: it is fitted on the transformed target minus the
 * transformed prior (for the boosted trees, the prior is the initial score), and predicts
 * the prior plus its correction. The prior itself, uncorrected, joins the candidates first,
 * so the inner cross-validation keeps it unless a correction lowers the squared error: a
 * pipeline whose features carry nothing returns the prior's predictions.
 *
 * References:
 * - V. Vovk, Cross-conformal predictors, Ann. Math. Artif. Intell. 74 (2015) 9-28.
 * - R. F. Barber, E. J. Candes, A. Ramdas, R. J. Tibshirani, Predictive inference with the
 *   jackknife+, Ann. Statist. 49 (2021) 486-507.
 */
import { PredictError } from './errors.js';
import { groupedFolds } from './evaluate-folds.js';
import { HistGradientBoostingRegressor } from './gbt.js';
import type { GbtOptions } from './gbt.js';
import { ImputedRidge } from './impute.js';
import { selectRows } from './matrix.js';
import type { Matrix } from './matrix.js';
import { checkFitData, readModel } from './regressor.js';
import type { Regressor, RegressorJson } from './regressor.js';
import { checkTargetTransform, fromTarget, toTarget } from './target.js';
import type { TargetTransform } from './target.js';

/**
 * The boosted trees' settings (over `GbtOptions`' defaults) unless told otherwise:
 * boosted trees sized for zoos of hundreds to thousands of runs with thousands of features:
 * histograms cost rows x features per node and split search features x bins, so 32 bins
 * and 16 leaves keep one fit of 960 runs x 4,000 features near 10-15 s. Searching a random
 * 30% of the features per split decorrelates the trees of summaries whose columns come in
 * near-copies; with the smaller learning rate and 300 trees it raised tau and R^2 of the
 * graph summaries, the weight statistics and the hyperparameters on the 480-run zoo of
 * docs/RESULTS.md (the learning curve alone lost 0.008 tau). 16 leaves instead of 8 raised
 * the graph summaries' tau by about a hundredth on its 960-run zoo, at 1.3-1.6 times the
 * fitting time; on its 240-run first draw they cost graph + curve 0.004 tau.
 */
export const TREE_SETTINGS: Readonly<Partial<GbtOptions>> = Object.freeze({ minSamplesLeaf: 5, maxLeafNodes: 16, learningRate: 0.05, maxIter: 300, maxBins: 32, maxFeatures: 0.3 });

/** The prior uncorrected: a correction of 0 whatever the features. */
class NoCorrection implements Regressor {
  fit(X: Matrix, y: ArrayLike<number>): this {
    checkFitData('prior', X, y, 1, true);
    return this;
  }

  predict(X: Matrix): Float64Array {
    return new Float64Array(X.rows);
  }

  toJSON(): RegressorJson {
    return { estimator: 'prior', format: 1 };
  }

  static fromJSON(json: unknown): NoCorrection {
    readModel('prior', 1, json);
    return new NoCorrection();
  }
}

/** Candidate regressors: names and how to build each under the pipeline's options. */
export const CANDIDATES = {
  gbt: (options: PipelineOptions) => new HistGradientBoostingRegressor(options.gbt),
  /** Ridge on standardised, mean-imputed features, its penalty by leave-one-out error. */
  ridge: () => new ImputedRidge(),
  /** The prior as is (a candidate only when the pipeline has a prior, and then always). */
  prior: () => new NoCorrection(),
} as const;
export type CandidateName = keyof typeof CANDIDATES;

/** Options of `PredictorPipeline`. */
export interface PipelineOptions {
  readonly candidates: readonly CandidateName[];
  /** Inner folds for model selection and residuals. */
  readonly innerFolds: number;
  /** Target coverage of the interval. */
  readonly coverage: number;
  /** What the candidates are fitted on: the logit of the accuracy, or the accuracy itself. */
  readonly target: TargetTransform;
  readonly seed: number;
  /** Options of the boosted-tree candidate, over `TREE_SETTINGS`. */
  readonly gbt: Partial<GbtOptions>;
  /** The direct method whose prediction the candidates correct (evaluate-methods.ts), or null: none. */
  readonly prior: string | null;
}

export const DEFAULTS: Readonly<PipelineOptions> = Object.freeze({
  candidates: Object.freeze(['gbt', 'ridge']) as readonly CandidateName[],
  innerFolds: 3,
  coverage: 0.9,
  target: 'logit',
  seed: 0,
  gbt: TREE_SETTINGS,
  prior: null,
});

const FROM_JSON: Record<CandidateName, (json: RegressorJson) => Regressor> = {
  gbt: (json) => HistGradientBoostingRegressor.fromJSON(json),
  ridge: (json) => ImputedRidge.fromJSON(json),
  prior: (json) => NoCorrection.fromJSON(json),
};

/** Scales of the interval: the estimators' (`target`: log-odds with the logit transform) or accuracy. */
export const INTERVAL_SPACES = ['target', 'accuracy'] as const;
export type IntervalSpace = (typeof INTERVAL_SPACES)[number];

/** A prediction with its interval. */
export interface Prediction {
  readonly predicted: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** The saved form of a fitted pipeline. */
export interface PipelineJson {
  readonly candidate: CandidateName;
  /** Half-width of the interval on the scale `interval_space` names. */
  readonly half_width: number;
  /** The interval's scale (absent in files written before scales: accuracy). */
  readonly interval_space?: IntervalSpace;
  readonly coverage: number;
  /** Transform of the target the estimator was fitted on (absent in files written before transforms: `none`). */
  readonly target?: TargetTransform;
  /** The direct method whose prediction the estimator corrects (absent: none), and the offset standing in where it is missing. */
  readonly prior?: { readonly method: string; readonly fallback: number };
  /** Inner cross-validated mean squared error of every candidate. */
  readonly selection: Readonly<Record<string, number>>;
  readonly estimator: RegressorJson;
}

const clip = (v: number) => Math.min(1, Math.max(0, v));

/** Bounds, in accuracy clipped to [0, 1], of intervals of `halfWidth` on scale `space` around estimator `outputs`. */
export function intervalOf(target: TargetTransform, space: IntervalSpace, outputs: Float64Array, halfWidth: number): { lower: Float64Array; upper: Float64Array } {
  if (space === 'target') {
    return { lower: fromTarget(target, outputs.map((v) => v - halfWidth)).map(clip), upper: fromTarget(target, outputs.map((v) => v + halfWidth)).map(clip) };
  }
  const predicted = fromTarget(target, outputs).map(clip);
  return { lower: predicted.map((p) => clip(p - halfWidth)), upper: predicted.map((p) => clip(p + halfWidth)) };
}

/** The `q` empirical quantile for conformal intervals: the ceil((n + 1) q)-th smallest value (the largest when beyond n). */
export function conformalQuantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const k = Math.min(sorted.length, Math.ceil((sorted.length + 1) * q));
  return sorted[Math.max(0, k - 1)];
}

/** Out-of-fold predictions of `make()` under grouped folds (`fold[i]` for row i). */
export function outOfFold(make: () => Regressor, X: Matrix, y: Float64Array, fold: Uint16Array, folds: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    fold.forEach((g, i) => (g === f ? test : train).push(i));
    if (test.length === 0) continue;
    const model = make().fit(selectRows(X, train), train.map((i) => y[i]));
    const predicted = model.predict(selectRows(X, test));
    test.forEach((row, k) => (out[row] = predicted[k]));
  }
  return out;
}

/** A fitted pipeline: `fit` selects, refits and calibrates; `predict` returns values with intervals. */
export class PredictorPipeline {
  #fitted: { candidate: CandidateName; estimator: Regressor; halfWidth: number; selection: Record<string, number>; space: IntervalSpace; priorFallback: number } | undefined;
  readonly options: PipelineOptions;

  constructor(options: Partial<PipelineOptions> = {}) {
    this.options = { ...DEFAULTS, ...options, gbt: { ...TREE_SETTINGS, ...options.gbt } };
    if (!(this.options.coverage > 0 && this.options.coverage < 1)) throw new PredictError('pipeline', `coverage must be in (0, 1), got ${this.options.coverage}`);
    checkTargetTransform(this.options.target);
  }

  /**
   * Fits on rows of `X` with final accuracies `y` and configuration `groups`, and, when the
   * options name a prior, its predicted accuracy `prior` of every row (NaN: missing). Returns
   * the pipeline; throws `PredictError` for a prior missing or given without one in the options.
   */
  fit(X: Matrix, y: ArrayLike<number>, groups: readonly string[], prior?: ArrayLike<number>): this {
    const targets = Float64Array.from(y);
    const { target } = this.options;
    const transformed = toTarget(target, targets);
    const priorFallback = transformed.reduce((s, v) => s + v, 0) / transformed.length;
    const offset = this.#offset(X.rows, prior, priorFallback);
    const residual = transformed.map((t, i) => t - offset[i]);
    const candidates: readonly CandidateName[] = this.options.prior === null ? this.options.candidates : ['prior', ...this.options.candidates.filter((c) => c !== 'prior')];
    const distinct = new Set(groups).size;
    const folds = Math.min(this.options.innerFolds, distinct);
    if (folds < 2) throw new PredictError('pipeline', `need runs from at least 2 configurations to fit, got ${distinct}`);
    const fold = groupedFolds(groups, folds, this.options.seed);
    // Every estimator needs 2 rows; a tiny training set (a small zoo split into many folds) must say so plainly.
    const smallest = Math.min(...Array.from({ length: folds }, (_, f) => fold.reduce((n, g) => n + (g === f ? 0 : 1), 0)));
    if (smallest < 2) {
      throw new PredictError(
        'pipeline',
        `${targets.length} training runs are too few: choosing the estimator by ${folds}-fold inner cross-validation would fit on ${smallest} run, and fitting needs 2 (use more runs, or more cross-validation folds so that each trains on more)`,
      );
    }
    const selection: Record<string, number> = {};
    let best: { candidate: CandidateName; outputs: Float64Array; mse: number } | undefined;
    for (const candidate of candidates) {
      const outputs = outOfFold(() => CANDIDATES[candidate](this.options), X, residual, fold, folds).map((r, i) => offset[i] + r);
      const predicted = fromTarget(target, outputs);
      const mse = targets.reduce((s, t, i) => s + (t - clip(predicted[i])) ** 2, 0) / targets.length;
      selection[candidate] = mse;
      if (!best || mse < best.mse) best = { candidate, outputs, mse };
    }
    const chosen = best as { candidate: CandidateName; outputs: Float64Array };
    const { coverage } = this.options;
    const scales = INTERVAL_SPACES.map((space) => {
      const predicted = space === 'target' ? chosen.outputs : fromTarget(target, chosen.outputs).map(clip);
      const actual = space === 'target' ? transformed : targets;
      const halfWidth = conformalQuantile(predicted.map((p, i) => Math.abs(actual[i] - p)), coverage);
      const { lower, upper } = intervalOf(target, space, chosen.outputs, halfWidth);
      return { space, halfWidth, width: upper.reduce((s, u, i) => s + u - lower[i], 0) };
    });
    const interval = scales[1].width < scales[0].width ? scales[1] : scales[0];
    const estimator = CANDIDATES[chosen.candidate](this.options).fit(X, residual);
    this.#fitted = { candidate: chosen.candidate, estimator, halfWidth: interval.halfWidth, selection, space: interval.space, priorFallback };
    return this;
  }

  /** The prior of `rows` rows on the estimators' scale (zeros without a prior; `fallback` where it is missing). */
  #offset(rows: number, prior: ArrayLike<number> | undefined, fallback: number): Float64Array {
    const { prior: method, target } = this.options;
    if (method === null) {
      if (prior !== undefined) throw new PredictError('pipeline', 'a prior was given but the options name none');
      return new Float64Array(rows);
    }
    if (prior === undefined || prior.length !== rows) throw new PredictError('pipeline', `the prior ${method} needs one predicted accuracy per row (${rows}), got ${prior?.length ?? 'none'}`);
    return toTarget(target, Float64Array.from(prior, (p) => (Number.isNaN(p) ? NaN : clip(p)))).map((o) => (Number.isNaN(o) ? fallback : o));
  }

  /** Returns predictions (clipped to [0, 1]) and their intervals, from `X` and, with a prior, its predicted accuracies `prior`. Throws if not fitted. */
  predict(X: Matrix, prior?: ArrayLike<number>): Prediction {
    const fitted = this.#require();
    const offset = this.#offset(X.rows, prior, fitted.priorFallback);
    const outputs = fitted.estimator.predict(X).map((r, i) => offset[i] + r);
    return { predicted: fromTarget(this.options.target, outputs).map(clip), ...intervalOf(this.options.target, fitted.space, outputs, fitted.halfWidth) };
  }

  /** The chosen candidate, each candidate's inner cross-validated MSE, and the interval's half-width on its scale. */
  get selection(): { candidate: CandidateName; mse: Readonly<Record<string, number>>; halfWidth: number; intervalSpace: IntervalSpace } {
    const fitted = this.#require();
    return { candidate: fitted.candidate, mse: fitted.selection, halfWidth: fitted.halfWidth, intervalSpace: fitted.space };
  }

  /** The fitted estimator (for feature importances). */
  get estimator(): Regressor {
    return this.#require().estimator;
  }

  #require() {
    if (!this.#fitted) throw new PredictError('pipeline', 'not fitted; call fit() first');
    return this.#fitted;
  }

  /** Returns the fitted pipeline as JSON data. */
  toJSON(): PipelineJson {
    const fitted = this.#require();
    const { coverage, target, prior } = this.options;
    return {
      candidate: fitted.candidate,
      half_width: fitted.halfWidth,
      interval_space: fitted.space,
      coverage,
      target,
      ...(prior === null ? {} : { prior: { method: prior, fallback: fitted.priorFallback } }),
      selection: fitted.selection,
      estimator: fitted.estimator.toJSON(),
    };
  }

  /**
   * Restores a pipeline saved by `toJSON` (or by epochgraph 0.1's model format 1, which
   * spelled the half-width `halfWidth`). Throws `PredictError` for a malformed record, an
   * unknown candidate or target transform.
   */
  static fromJSON(json: PipelineJson | (Omit<PipelineJson, 'half_width'> & { readonly halfWidth: number })): PredictorPipeline {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PredictError('pipeline', 'saved pipeline is not a JSON object');
    // Own keys only: a candidate named "constructor" must not find Object's.
    const restore = Object.hasOwn(FROM_JSON, json.candidate) ? FROM_JSON[json.candidate] : undefined;
    if (!restore) throw new PredictError('pipeline', `unknown estimator ${JSON.stringify(json.candidate)} in model file`);
    if (typeof json.estimator !== 'object' || json.estimator === null) throw new PredictError('pipeline', 'saved pipeline lacks its "estimator" object');
    if (typeof json.selection !== 'object' || json.selection === null) throw new PredictError('pipeline', 'saved pipeline lacks its "selection" object');
    const prior = json.prior ?? null;
    if (prior !== null && (typeof prior.method !== 'string' || typeof prior.fallback !== 'number' || !Number.isFinite(prior.fallback))) {
      throw new PredictError('pipeline', 'saved pipeline: "prior" must be {"method": name, "fallback": finite number}');
    }
    const pipeline = new PredictorPipeline({ coverage: json.coverage, target: json.target ?? 'none', prior: prior?.method ?? null });
    const space = json.interval_space ?? 'accuracy';
    if (!(INTERVAL_SPACES as readonly unknown[]).includes(space)) {
      throw new PredictError('pipeline', `unknown interval_space ${JSON.stringify(space)} in model file; expected one of ${INTERVAL_SPACES.join(', ')}`);
    }
    const halfWidth = 'half_width' in json ? json.half_width : json.halfWidth;
    if (typeof halfWidth !== 'number' || !(halfWidth >= 0)) throw new PredictError('pipeline', `saved pipeline: half_width must be a non-negative number, got ${JSON.stringify(halfWidth)}`);
    pipeline.#fitted = { candidate: json.candidate, estimator: restore(json.estimator), halfWidth, selection: { ...json.selection }, space, priorFallback: prior?.fallback ?? 0 };
    return pipeline;
  }
}
