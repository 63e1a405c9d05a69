/**
 * Histogram gradient-boosted regression trees, the algorithm of LightGBM and of
 * scikit-learn's `HistGradientBoostingRegressor`, whose defaults and semantics these
 * follow: features binned into at most 255 quantile bins with NaN in a bin of its own
 * (binning.ts), trees grown leaf-wise on gradient histograms (tree.ts), each tree's
 * leaves shrunk by the learning rate and added to the ensemble, optional early stopping
 * on an inner validation split.
 *
 * Written here because the JavaScript options measured for this project are weak:
 * `ml-random-forest` reaches R^2 0.50 on a task where scikit-learn gets 0.97, and
 * `ml-xgboost` is an old WebAssembly build that fails at 10,000 x 200 rows.
 *
 * Losses:
 * - `squared_error`: half squared error; gradient prediction - y, baseline the mean of y.
 * - `quantile`: pinball loss at `quantile` q, for prediction intervals; gradient -q where
 *   y > prediction, else 1 - q. Gradient steps on this loss are poor leaf values, so after
 *   a tree is grown each leaf is set to the q-quantile of its rows' residuals (the exact
 *   minimiser), as in Friedman (2001); baseline the q-quantile of y.
 * - `pairwise`: the RankNet loss (Burges et al. 2005), log(1 + exp(-(s_i - s_j))) over every
 *   pair of rows with y_i > y_j, averaged over a row's n - 1 partners: a ranking objective,
 *   whose predictions order rows but are not on y's scale. Gradient of row i:
 *   (sum over pairs of -sigmoid(s_j - s_i) where y_i > y_j, +sigmoid(s_i - s_j) where y_i < y_j)
 *   / (n - 1); leaf values are gradient steps of unit curvature, as for squared error; baseline
 *   the mean of y. Quadratic in the rows: for zoos of up to a few thousand runs.
 *
 * Early stopping (on when `earlyStopping` is true, or 'auto' with more than 10,000 rows):
 * a seeded random `validationFraction` of the rows is held out, the loss on it is scored
 * before the first tree and after each, and boosting stops when none of the last
 * `nIterNoChange` scores beats the score `nIterNoChange` iterations earlier by more than
 * `tol`. All trees fitted are kept, as scikit-learn does.
 *
 * Determinism: results depend only on the data, the options and `randomState` (used for
 * the validation split and for subsampling rows to find bin thresholds beyond 200,000).
 *
 * References:
 * - G. Ke, Q. Meng, T. Finley, T. Wang, W. Chen, W. Ma, Q. Ye, T.-Y. Liu, LightGBM: a highly
 *   efficient gradient boosting decision tree, NeurIPS 2017.
 * - C. Burges, T. Shaked, E. Renshaw, A. Lazier, M. Deeds, N. Hamilton, G. Hullender, Learning
 *   to rank using gradient descent, ICML 2005.
 * - J. H. Friedman, Greedy function approximation: a gradient boosting machine, Annals of
 *   Statistics 29 (2001) 1189-1232.
 * - F. Pedregosa et al., Scikit-learn: machine learning in Python, JMLR 12 (2011) 2825-2830
 *   (HistGradientBoostingRegressor, the reference implementation matched here).
 */
import { sortedQuantile } from '../summary/statistics.js';
import { createRng, shuffleInPlace } from '../util/random.js';
import { binRows, fitBinThresholds } from './binning.js';
import { PredictError } from './errors.js';
import type { Matrix } from './matrix.js';
import { checkFitData, checkPredictData, readModel, readNumber, readNumbers, type Regressor, type RegressorJson } from './regressor.js';
import { TreeGrower, type GrownTree } from './tree.js';

/** Loss minimised by the boosting. */
export type GbtLoss = 'squared_error' | 'quantile' | 'pairwise';

/** Options of `HistGradientBoostingRegressor` (scikit-learn's parameter of the same name in snake case). */
export interface GbtOptions {
  readonly loss: GbtLoss;
  /** Quantile in (0, 1) predicted with loss 'quantile'. */
  readonly quantile: number;
  /** Shrinkage of each tree's leaf values. */
  readonly learningRate: number;
  /** Maximum boosting iterations (trees). */
  readonly maxIter: number;
  /** Maximum leaves per tree, or null for no limit. */
  readonly maxLeafNodes: number | null;
  /** Maximum depth of a tree (edges from the root), or null for no limit. */
  readonly maxDepth: number | null;
  /** Minimum rows per leaf. */
  readonly minSamplesLeaf: number;
  /** L2 regularisation of leaf values. */
  readonly l2Regularization: number;
  /** Fraction of the features searched at each split, in (0, 1] (drawn per node from `randomState`). */
  readonly maxFeatures: number;
  /** Bins for the non-missing values of a feature, 2 to 255. */
  readonly maxBins: number;
  /** Early stopping on a validation split: 'auto' turns it on above 10,000 rows. */
  readonly earlyStopping: 'auto' | boolean;
  /** Fraction of rows held out for early stopping, in (0, 1). */
  readonly validationFraction: number;
  /** Iterations without improvement before stopping. */
  readonly nIterNoChange: number;
  /** Minimum improvement of the validation score that counts. */
  readonly tol: number;
  /** Seed of the validation split, the binning subsample and the features drawn per split. */
  readonly randomState: number;
}

/** Defaults of `GbtOptions` (scikit-learn's, with a fixed seed). */
export const DEFAULTS: Readonly<GbtOptions> = Object.freeze({
  loss: 'squared_error',
  quantile: 0.5,
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxFeatures: 1,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  randomState: 0,
});

/** Rows above which early stopping 'auto' turns on. */
const AUTO_EARLY_STOPPING_ROWS = 10_000;

/**
 * Nodes of all trees in flat arrays, indexed by node: `feature[node]` is -1 for a leaf; an
 * internal node sends a row left when its value is <= `threshold[node]` (+Infinity for the
 * split of missing from present values), or, for a missing value, when `missingLeft[node]`
 * is 1; leaves hold `value[node]`.
 */
interface Nodes {
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly missingLeft: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly value: ArrayLike<number>;
}

/** The fitted ensemble: tree t is rooted at node `roots[t]`. */
interface Ensemble extends Nodes {
  readonly nFeatures: number;
  readonly baseline: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly featureImportances: Float64Array;
  readonly trainScore: Float64Array;
  readonly validationScore: Float64Array;
}

const FORMAT = 1;

function checkOptions(options: GbtOptions): void {
  const fail = (detail: string) => new PredictError('gbt', detail);
  const integerAtLeast = (name: keyof GbtOptions, min: number) => {
    const v = options[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw fail(`${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  if (!['squared_error', 'quantile', 'pairwise'].includes(options.loss)) throw fail(`loss must be 'squared_error', 'quantile' or 'pairwise', got ${String(options.loss)}`);
  if (!(options.quantile > 0 && options.quantile < 1)) throw fail(`quantile must be in (0, 1), got ${options.quantile}`);
  if (!(options.learningRate > 0 && Number.isFinite(options.learningRate))) throw fail(`learningRate must be positive, got ${options.learningRate}`);
  integerAtLeast('maxIter', 1);
  if (options.maxLeafNodes !== null) integerAtLeast('maxLeafNodes', 2);
  if (options.maxDepth !== null) integerAtLeast('maxDepth', 1);
  integerAtLeast('minSamplesLeaf', 1);
  if (!(options.l2Regularization >= 0 && Number.isFinite(options.l2Regularization))) throw fail(`l2Regularization must be >= 0, got ${options.l2Regularization}`);
  if (!(options.maxFeatures > 0 && options.maxFeatures <= 1)) throw fail(`maxFeatures must be in (0, 1], got ${options.maxFeatures}`);
  integerAtLeast('maxBins', 2);
  if (options.maxBins > 255) throw fail(`maxBins must be at most 255, got ${options.maxBins}`);
  if (options.earlyStopping !== 'auto' && typeof options.earlyStopping !== 'boolean') throw fail(`earlyStopping must be 'auto', true or false`);
  if (!(options.validationFraction > 0 && options.validationFraction < 1)) throw fail(`validationFraction must be in (0, 1), got ${options.validationFraction}`);
  integerAtLeast('nIterNoChange', 1);
  if (!Number.isFinite(options.tol)) throw fail(`tol must be finite, got ${options.tol}`);
  integerAtLeast('randomState', 0);
}

/** q-quantile of `values` (linear interpolation between order statistics, numpy's default); sorts `values` in place. */
function quantileInPlace(values: Float64Array, q: number): number {
  return sortedQuantile(values.sort(), q);
}

/**
 * Gradients of the pairwise loss (module header) of scores `raw` for targets `y`, into
 * `gradients`. Returns the mean loss over ordered pairs.
 */
function pairwiseGradients(y: Float64Array, raw: Float64Array, gradients: Float64Array): number {
  const n = y.length;
  gradients.fill(0);
  let loss = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (y[i] === y[j]) continue;
      const [hi, lo] = y[i] > y[j] ? [i, j] : [j, i];
      const margin = raw[hi] - raw[lo];
      // sigmoid(-margin), and log(1 + exp(-margin)) without overflow.
      const p = 1 / (1 + Math.exp(margin));
      gradients[hi] -= p;
      gradients[lo] += p;
      loss += margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
      pairs++;
    }
  }
  if (n > 1) for (let i = 0; i < n; i++) gradients[i] /= n - 1;
  return pairs === 0 ? 0 : loss / pairs;
}

/** Mean loss of `raw` predictions for targets `y` at rows `rows`. */
function meanLoss(options: GbtOptions, y: Float64Array, raw: Float64Array, rows: Uint32Array): number {
  let sum = 0;
  if (options.loss === 'pairwise') return pairwiseGradients(Float64Array.from(rows, (i) => y[i]), raw, new Float64Array(rows.length));
  if (options.loss === 'squared_error') {
    for (let k = 0; k < rows.length; k++) {
      const d = y[rows[k]] - raw[k];
      sum += 0.5 * d * d;
    }
  } else {
    const q = options.quantile;
    for (let k = 0; k < rows.length; k++) {
      const d = y[rows[k]] - raw[k];
      sum += d >= 0 ? q * d : (q - 1) * d;
    }
  }
  return sum / rows.length;
}

/** True when none of the last `n` scores beats the score before them by more than `tol`. */
function shouldStop(scores: readonly number[], n: number, tol: number): boolean {
  if (scores.length < n + 1) return false;
  const reference = scores[scores.length - n - 1] + tol;
  for (let k = scores.length - n; k < scores.length; k++) if (scores[k] > reference) return false;
  return true;
}

/** Adds the prediction of the tree rooted at `root` for rows `rows` of `X` (all rows if null) to `out[k]` (k indexing `rows`). */
function addTree(nodes: Nodes, root: number, X: Matrix, rows: ArrayLike<number> | null, out: Float64Array): void {
  const { feature, threshold, missingLeft, left, right, value } = nodes;
  const { data, cols } = X;
  for (let k = 0; k < out.length; k++) {
    const offset = (rows ? rows[k] : k) * cols;
    let node = root;
    while (feature[node] >= 0) {
      const x = data[offset + feature[node]];
      node = x <= threshold[node] || (x !== x && missingLeft[node] === 1) ? left[node] : right[node];
    }
    out[k] += value[node];
  }
}

/** Histogram gradient-boosted regression trees (see the module header). */
export class HistGradientBoostingRegressor implements Regressor {
  /** Options in effect (defaults filled in). */
  readonly options: GbtOptions;
  #ensemble: Ensemble | null = null;

  /** Throws `PredictError` for an invalid option. */
  constructor(options: Partial<GbtOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    checkOptions(this.options);
  }

  #fitted(): Ensemble {
    if (!this.#ensemble) throw new PredictError('gbt', 'model is not fitted; call fit() first');
    return this.#ensemble;
  }

  /** Number of boosting iterations (trees) fitted: `maxIter` unless early stopping ended sooner. */
  get nIter(): number {
    return this.#fitted().roots.length;
  }

  /** Number of features the model was fitted on. */
  get nFeatures(): number {
    return this.#fitted().nFeatures;
  }

  /** Total split gain of each feature over all trees, normalised to sum 1 (all 0 when no tree split). */
  get featureImportances(): Float64Array {
    return this.#fitted().featureImportances.slice();
  }

  /** Negative mean training loss before the first tree and after each (early stopping only, else empty). */
  get trainScore(): Float64Array {
    return this.#fitted().trainScore.slice();
  }

  /** Negative mean validation loss before the first tree and after each (early stopping only, else empty). */
  get validationScore(): Float64Array {
    return this.#fitted().validationScore.slice();
  }

  /**
   * Fits the ensemble to `X` (NaN allowed: missing) and `y`; returns this. Throws
   * `PredictError` for mismatched shapes, non-finite targets, infinite features, fewer
   * than 2 rows, or (with early stopping) a split leaving no training or validation row.
   */
  fit(X: Matrix, y: ArrayLike<number>): this {
    const options = this.options;
    const target = checkFitData('gbt', X, y, 2, true);
    const n = X.rows;
    const rng = createRng(options.randomState);
    const early = options.earlyStopping === 'auto' ? n > AUTO_EARLY_STOPPING_ROWS : options.earlyStopping;

    let trainRows: Uint32Array;
    let validationRows = new Uint32Array(0);
    if (early) {
      const order = shuffleInPlace(Uint32Array.from({ length: n }, (_, i) => i), rng);
      const nValidation = Math.ceil(options.validationFraction * n);
      if (nValidation >= n) throw new PredictError('gbt', `validationFraction ${options.validationFraction} of ${n} rows leaves no training row`);
      // Sorted so that training rows are read in memory order.
      validationRows = order.slice(0, nValidation).sort();
      trainRows = order.slice(nValidation).sort();
    } else {
      trainRows = Uint32Array.from({ length: n }, (_, i) => i);
    }
    const nTrain = trainRows.length;

    const thresholds = fitBinThresholds(X, trainRows, options.maxBins, rng);
    const { bins, hasMissing } = binRows(X, trainRows, thresholds);
    const nBinsNonMissing = Uint16Array.from(thresholds, (edges) => edges.length + 1);
    const grower = new TreeGrower({ bins, nRows: nTrain, nFeatures: X.cols, nBinsNonMissing, hasMissing }, options, rng);

    const yTrain = Float64Array.from(trainRows, (i) => target[i]);
    const baseline = options.loss !== 'quantile' ? yTrain.reduce((s, v) => s + v, 0) / nTrain : quantileInPlace(yTrain.slice(), options.quantile);
    const raw = new Float64Array(nTrain).fill(baseline);
    const rawValidation = new Float64Array(validationRows.length).fill(baseline);
    const gradients = new Float64Array(nTrain);
    const residuals = new Float64Array(nTrain);

    const nodes: GrowingNodes = { feature: [], threshold: [], missingLeft: [], left: [], right: [], value: [] };
    const roots: number[] = [];
    const gains = new Float64Array(X.cols);
    const trainScore: number[] = [];
    const validationScore: number[] = [];
    const score = () => {
      trainScore.push(-meanLoss(options, target, raw, trainRows));
      validationScore.push(-meanLoss(options, target, rawValidation, validationRows));
    };
    if (early) score();

    for (let iteration = 0; iteration < options.maxIter; iteration++) {
      if (options.loss === 'squared_error') {
        for (let i = 0; i < nTrain; i++) gradients[i] = raw[i] - yTrain[i];
      } else if (options.loss === 'pairwise') {
        pairwiseGradients(yTrain, raw, gradients);
      } else {
        const q = options.quantile;
        for (let i = 0; i < nTrain; i++) gradients[i] = yTrain[i] > raw[i] ? -q : 1 - q;
      }
      const tree = grower.grow(gradients);
      const values = this.#leafValues(tree, grower.rows, yTrain, raw, residuals);

      const offset = nodes.feature.length;
      roots.push(offset);
      for (let node = 0; node < tree.feature.length; node++) {
        const f = tree.feature[node];
        nodes.feature.push(f);
        nodes.missingLeft.push(tree.missingLeft[node]);
        nodes.value.push(values[node]);
        if (f < 0) {
          nodes.threshold.push(0);
          nodes.left.push(-1);
          nodes.right.push(-1);
          continue;
        }
        const bin = tree.bin[node];
        nodes.threshold.push(bin === nBinsNonMissing[f] - 1 ? Infinity : thresholds[f][bin]);
        nodes.left.push(offset + tree.left[node]);
        nodes.right.push(offset + tree.right[node]);
        gains[f] += tree.gain[node];
      }
      // Training predictions follow the partition, in the order predict() sums trees.
      for (const leaf of tree.leaves) {
        const v = values[leaf.node];
        for (let k = leaf.start; k < leaf.end; k++) raw[grower.rows[k]] += v;
      }

      if (early) {
        addTree(nodes, offset, X, validationRows, rawValidation);
        score();
        if (shouldStop(validationScore, options.nIterNoChange, options.tol)) break;
      }
    }
    let total = 0;
    for (const g of gains) total += g;
    if (total > 0) for (let f = 0; f < gains.length; f++) gains[f] /= total;
    this.#ensemble = {
      nFeatures: X.cols,
      baseline,
      roots: Int32Array.from(roots),
      feature: Int32Array.from(nodes.feature),
      threshold: Float64Array.from(nodes.threshold),
      missingLeft: Uint8Array.from(nodes.missingLeft),
      left: Int32Array.from(nodes.left),
      right: Int32Array.from(nodes.right),
      value: Float64Array.from(nodes.value),
      featureImportances: gains,
      trainScore: Float64Array.from(trainScore),
      validationScore: Float64Array.from(validationScore),
    };
    return this;
  }

  /** Leaf values of a grown tree (indexed by node), shrunk by the learning rate. */
  #leafValues(tree: GrownTree, rows: Uint32Array, y: Float64Array, raw: Float64Array, residuals: Float64Array): Float64Array {
    const { learningRate, l2Regularization, loss, quantile } = this.options;
    const values = new Float64Array(tree.feature.length);
    for (const leaf of tree.leaves) {
      let value: number;
      if (loss !== 'quantile') {
        value = -leaf.sumGradients / (leaf.end - leaf.start + l2Regularization);
      } else {
        const m = leaf.end - leaf.start;
        for (let k = 0; k < m; k++) {
          const i = rows[leaf.start + k];
          residuals[k] = y[i] - raw[i];
        }
        value = quantileInPlace(residuals.subarray(0, m), quantile);
      }
      values[leaf.node] = value * learningRate + 0; // + 0 turns -0 into 0, which JSON keeps
    }
    return values;
  }

  /** Returns the prediction for each row of `X` (NaN allowed). Throws `PredictError` if unfitted or for a wrong number of columns. */
  predict(X: Matrix): Float64Array {
    const ensemble = this.#fitted();
    checkPredictData('gbt', X, ensemble.nFeatures, true);
    const out = new Float64Array(X.rows).fill(ensemble.baseline);
    for (const root of ensemble.roots) addTree(ensemble, root, X, null, out);
    return out;
  }

  /** Returns the fitted model as JSON data (thresholds of +Infinity as null). Throws `PredictError` if unfitted. */
  toJSON(): RegressorJson {
    const e = this.#fitted();
    return {
      estimator: 'gbt',
      format: FORMAT,
      options: { ...this.options },
      nFeatures: e.nFeatures,
      baseline: e.baseline,
      roots: Array.from(e.roots),
      feature: Array.from(e.feature),
      threshold: Array.from(e.threshold, (v) => (v === Infinity ? null : v)),
      missingLeft: Array.from(e.missingLeft),
      left: Array.from(e.left),
      right: Array.from(e.right),
      value: Array.from(e.value),
      featureImportances: Array.from(e.featureImportances),
      trainScore: Array.from(e.trainScore),
      validationScore: Array.from(e.validationScore),
    };
  }

  /** Returns the model saved by `toJSON`, predicting bit-identically. Throws `PredictError` for malformed data. */
  static fromJSON(json: unknown): HistGradientBoostingRegressor {
    const record = readModel('gbt', FORMAT, json);
    const saved = record.options;
    if (typeof saved !== 'object' || saved === null) throw new PredictError('gbt', 'saved model: "options" must be an object');
    const options = Object.fromEntries(Object.keys(DEFAULTS).filter((key) => key in saved).map((key) => [key, (saved as Record<string, unknown>)[key]]));
    const model = new HistGradientBoostingRegressor(options as Partial<GbtOptions>);
    const nFeatures = readNumber('gbt', record, 'nFeatures');
    const feature = readNumbers('gbt', record, 'feature');
    const nNodes = feature.length;
    const ints = (key: string, length?: number) => Int32Array.from(readNumbers('gbt', record, key, length));
    const ensemble: Ensemble = {
      nFeatures,
      baseline: readNumber('gbt', record, 'baseline'),
      roots: ints('roots'),
      feature: Int32Array.from(feature),
      threshold: readNumbers('gbt', record, 'threshold', nNodes, Infinity),
      missingLeft: Uint8Array.from(readNumbers('gbt', record, 'missingLeft', nNodes)),
      left: ints('left', nNodes),
      right: ints('right', nNodes),
      value: readNumbers('gbt', record, 'value', nNodes),
      featureImportances: readNumbers('gbt', record, 'featureImportances', nFeatures),
      trainScore: readNumbers('gbt', record, 'trainScore'),
      validationScore: readNumbers('gbt', record, 'validationScore'),
    };
    checkEnsemble(ensemble);
    model.#ensemble = ensemble;
    return model;
  }
}

/** Nodes appended tree by tree during fitting. */
type GrowingNodes = { readonly [K in keyof Nodes]: number[] };

/** Checks that a loaded ensemble's trees are well formed (children after parents, features in range), so predict() terminates. */
function checkEnsemble(e: Ensemble): void {
  const bad = (detail: string) => new PredictError('gbt', `saved model: ${detail}`);
  if (!Number.isInteger(e.nFeatures) || e.nFeatures < 1) throw bad('"nFeatures" must be a positive integer');
  const n = e.feature.length;
  for (const root of e.roots) if (root < 0 || root >= n) throw bad(`tree root ${root} outside 0..${n - 1}`);
  for (let node = 0; node < n; node++) {
    const f = e.feature[node];
    if (f === -1) continue;
    if (f < 0 || f >= e.nFeatures) throw bad(`node ${node} splits on feature ${f} of ${e.nFeatures}`);
    for (const child of [e.left[node], e.right[node]]) if (child <= node || child >= n) throw bad(`node ${node} has child ${child}`);
  }
}
