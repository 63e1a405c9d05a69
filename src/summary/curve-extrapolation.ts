/**
 * Learning-curve extrapolation: the final test accuracy of a run predicted from its curve so
 * far, with no zoo, by a weighted ensemble of parametric families (curve-families.ts), a
 * simplification of Domhan, Springenberg and Hutter (2015). They sample a weighted combination
 * of the families by MCMC under a prior of increasing curves that end at most at 1; here each
 * family is fitted by bounded least squares (its bounds keep it non-decreasing), a family
 * whose curve passes 1 by the horizon is dropped (zero prior probability there), and the
 * others are weighted by their Bayesian information criterion, exp(-BIC / 2) with
 * BIC = n ln(max(SSE / n, noise^2)) + k ln n: the noise floor keeps a family that interpolates
 * three points exactly from taking all the weight. A family with more parameters than points
 * is left out. The interval is that of the mixture: each family's prediction with its residual
 * variance (at least noise^2), plus the spread of the families' predictions, read as a normal
 * at the `coverage` level.
 *
 * Epoch 0 (the untrained network, at chance whatever the run) is not part of the curve the
 * families describe: they start at epoch 1. With fewer than 2 points the curve cannot be
 * extrapolated and the last observed accuracy is the prediction, its interval reaching up to 1.
 *
 * Reference: T. Domhan, J. T. Springenberg, F. Hutter, Speeding up automatic hyperparameter
 * optimization of deep neural networks by extrapolation of learning curves, IJCAI 2015.
 */
import { EpochgraphError } from '../errors.js';
import { CURVE_FAMILIES, fitFamily } from './curve-families.js';
import type { FamilyFit } from './curve-families.js';

/** Options of `CurveExtrapolator`. */
export interface CurveExtrapolationOptions {
  /** Families in the ensemble, by name (curve-families.ts). */
  readonly families: readonly string[];
  /** First epoch the families describe. */
  readonly firstEpoch: number;
  /** Standard deviation of an accuracy's noise between epochs that no fit is credited below. */
  readonly noise: number;
}

export const DEFAULTS: Readonly<CurveExtrapolationOptions> = Object.freeze({
  families: Object.freeze(CURVE_FAMILIES.map((f) => f.name)),
  firstEpoch: 1,
  noise: 0.005,
});

/** Standard normal quantile of 0.95: the two-sided 90% interval. */
const Z_90 = 1.6448536269514722;

/** A prediction of the accuracy at one epoch, with its 90% interval, in [0, 1]. */
export interface CurvePrediction {
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
}

/** A family of the fitted ensemble and its weight. */
export interface WeightedFit extends FamilyFit {
  readonly weight: number;
}

const clip = (v: number) => Math.min(1, Math.max(0, v));

/** Fits the ensemble to one run's curve (`fit`), then predicts the accuracy at a later epoch (`predict`). */
export class CurveExtrapolator {
  readonly options: CurveExtrapolationOptions;
  #fitted: { x: Float64Array; y: Float64Array; fits: FamilyFit[] } | undefined;

  /** Throws `EpochgraphError` for an unknown family or a bad setting. */
  constructor(options: Partial<CurveExtrapolationOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    for (const name of this.options.families) {
      if (!CURVE_FAMILIES.some((f) => f.name === name)) throw new EpochgraphError(`curve-extrapolation: unknown family ${JSON.stringify(name)}; known: ${CURVE_FAMILIES.map((f) => f.name).join(', ')}`);
    }
    if (!(this.options.noise > 0)) throw new EpochgraphError(`curve-extrapolation: noise must be positive, got ${this.options.noise}`);
  }

  /**
   * Fits every family with at most as many parameters as points to the accuracies `accuracies`
   * at `epochs` (ascending); points before `firstEpoch` and non-finite accuracies are left out.
   * Returns this.
   */
  fit(epochs: ArrayLike<number>, accuracies: ArrayLike<number>): this {
    if (epochs.length !== accuracies.length) throw new EpochgraphError(`curve-extrapolation: ${epochs.length} epochs but ${accuracies.length} accuracies`);
    const keep = Array.from({ length: epochs.length }, (_, i) => i).filter((i) => epochs[i] >= this.options.firstEpoch && Number.isFinite(accuracies[i]));
    const x = Float64Array.from(keep, (i) => epochs[i]);
    const y = Float64Array.from(keep, (i) => clip(accuracies[i]));
    const families = CURVE_FAMILIES.filter((f) => this.options.families.includes(f.name) && f.parameters.length <= x.length);
    const fits = x.length < 2 ? [] : families.map((f) => fitFamily(f, x, y));
    // The last finite accuracy, even before the first epoch, for a curve too short to fit.
    const last = Array.from(accuracies).findLast((v) => Number.isFinite(v));
    this.#fitted = x.length > 0 ? { x, y, fits } : { x, y: last === undefined ? y : Float64Array.of(clip(last)), fits };
    return this;
  }

  /** The families kept for a prediction at `epoch` and their weights (summing to 1; empty when none is kept). */
  weights(epoch: number): WeightedFit[] {
    const { x, fits } = this.#require();
    const n = x.length;
    const noise2 = this.options.noise ** 2;
    const kept = fits.filter((f) => Number.isFinite(f.sse) && f.family.curve(f.parameters, epoch) <= 1 + 1e-9);
    const bic = kept.map((f) => n * Math.log(Math.max(f.sse / n, noise2)) + f.family.parameters.length * Math.log(n));
    const best = Math.min(...bic);
    const raw = bic.map((b) => Math.exp(-(b - best) / 2));
    const total = raw.reduce((s, w) => s + w, 0);
    return kept.map((f, k) => ({ ...f, weight: raw[k] / total }));
  }

  /** The accuracy predicted at `epoch` with its 90% interval; NaN for a curve with no finite accuracy. Throws if not fitted. */
  predict(epoch: number): CurvePrediction {
    const { x, y } = this.#require();
    if (y.length === 0) return { predicted: NaN, lower: NaN, upper: NaN };
    const observed = x.indexOf(epoch);
    if (observed >= 0) return { predicted: y[observed], lower: y[observed], upper: y[observed] };
    const weighted = this.weights(epoch);
    const last = y[y.length - 1];
    if (weighted.length === 0) return { predicted: last, lower: clip(last - Z_90 * this.options.noise), upper: 1 };
    const n = x.length;
    const noise2 = this.options.noise ** 2;
    const values = weighted.map((f) => f.family.curve(f.parameters, epoch));
    const mean = weighted.reduce((s, f, k) => s + f.weight * values[k], 0);
    const variance = weighted.reduce((s, f, k) => {
      const residual = Math.max(noise2, f.sse / Math.max(1, n - f.family.parameters.length));
      return s + f.weight * (residual + (values[k] - mean) ** 2);
    }, 0);
    const half = Z_90 * Math.sqrt(variance);
    return { predicted: clip(mean), lower: clip(mean - half), upper: clip(mean + half) };
  }

  #require() {
    if (!this.#fitted) throw new EpochgraphError('curve-extrapolation: not fitted; call fit() first');
    return this.#fitted;
  }
}
