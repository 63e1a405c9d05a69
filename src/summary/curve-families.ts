/**
 * Parametric learning-curve families of Domhan, Springenberg and Hutter (2015, Table 1 of
 * their supplement), each a test accuracy y as a function of the epoch x >= 1, and each a
 * bounded nonlinear least-squares fit (`fitFamily`).
 *
 * Every family is written so that box bounds on its parameters keep it non-decreasing in x,
 * the prior Domhan et al. place on a learning curve: the four-parameter families take the
 * gap alpha - beta between asymptote and start as a parameter (bounded >= 0) instead of beta,
 * and `ilog2` reads log(x + 1) for their log(x), which is 0 at the first epoch. Asymptotes
 * of the saturating families are bounded to [0, 1], the range of an accuracy.
 *
 * | family | curve |
 * | --- | --- |
 * | `pow3` | c - a x^-alpha |
 * | `log-power` | a / (1 + (x / e^b)^c), c < 0 |
 * | `exp3` | c - exp(-a x + b) |
 * | `vapor-pressure` | exp(a + b / x + c ln x) |
 * | `ilog2` | c - a / ln(x + 1) |
 * | `janoschek` | alpha - (alpha - beta) exp(-kappa x^delta) |
 * | `mmf` | alpha - (alpha - beta) / (1 + (kappa x)^delta) (Morgan-Mercer-Flodin) |
 * | `weibull` | alpha - (alpha - beta) exp(-(kappa x)^delta) |
 *
 * Fits use ml-levenberg-marquardt (bounded by clamping each step; central differences) from
 * a few starting points read off the observed curve, keeping the smallest squared error:
 * curves of three or four points have local minima on the bounds, and one start is not enough.
 *
 * Reference: T. Domhan, J. T. Springenberg, F. Hutter, Speeding up automatic hyperparameter
 * optimization of deep neural networks by extrapolation of learning curves, IJCAI 2015.
 */
import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/** A family: its parameters, the curve, box bounds and starting points. */
export interface CurveFamily {
  readonly name: string;
  readonly parameters: readonly string[];
  /** The accuracy at epoch `x` (>= 1) under parameters `p`. */
  readonly curve: (p: readonly number[], x: number) => number;
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** Starting points for a fit to the observed curve (`x` ascending, `y` in [0, 1]). */
  readonly starts: (x: Float64Array, y: Float64Array) => number[][];
}

/** Asymptotes worth starting from: a little above the last value, halfway to 1, and 1. */
function asymptotes(y: Float64Array): number[] {
  const last = y[y.length - 1];
  return [Math.min(1, last + 0.02), Math.min(1, (last + 1) / 2), 1];
}

/** Gaps between an asymptote `c` and the first value (>= a small positive gap). */
const gap = (c: number, y: Float64Array) => Math.max(1e-3, c - y[0]);

/** Every family, in the order they are reported. */
export const CURVE_FAMILIES: readonly CurveFamily[] = Object.freeze([
  {
    name: 'pow3',
    parameters: ['c', 'a', 'alpha'],
    curve: ([c, a, alpha], x) => c - a * x ** -alpha,
    lower: [0, 0, 0.01],
    upper: [1, 1, 5],
    starts: (x, y) => asymptotes(y).flatMap((c) => [0.5, 1.5].map((alpha) => [c, Math.min(1, gap(c, y) * x[0] ** alpha), alpha])),
  },
  {
    name: 'log-power',
    parameters: ['a', 'b', 'c'],
    curve: ([a, b, c], x) => a / (1 + (x / Math.exp(b)) ** c),
    lower: [0, -10, -5],
    upper: [1, 10, -0.01],
    starts: (_x, y) => asymptotes(y).flatMap((a) => [-1, -2].map((c) => [a, 0, c])),
  },
  {
    name: 'exp3',
    parameters: ['c', 'a', 'b'],
    curve: ([c, a, b], x) => c - Math.exp(-a * x + b),
    lower: [0, 0.01, -10],
    upper: [1, 5, 5],
    starts: (x, y) => asymptotes(y).flatMap((c) => [0.3, 1].map((a) => [c, a, Math.min(5, Math.log(gap(c, y)) + a * x[0])])),
  },
  {
    name: 'vapor-pressure',
    parameters: ['a', 'b', 'c'],
    curve: ([a, b, c], x) => Math.exp(a + b / x + c * Math.log(x)),
    lower: [-10, -10, 0],
    upper: [1, 0, 2],
    starts: (x, y) =>
      asymptotes(y).flatMap((asymptote) => {
        const a = Math.log(asymptote);
        return [0, 0.05].map((c) => [a, Math.max(-10, Math.min(0, (Math.log(Math.max(1e-3, y[0])) - a) * x[0])), c]);
      }),
  },
  {
    name: 'ilog2',
    parameters: ['c', 'a'],
    curve: ([c, a], x) => c - a / Math.log(x + 1),
    lower: [0, 0],
    upper: [1, 2],
    starts: (_x, y) => asymptotes(y).map((c) => [c, Math.min(2, gap(c, y) * Math.LN2)]),
  },
  {
    name: 'janoschek',
    parameters: ['alpha', 'alpha-beta', 'kappa', 'delta'],
    curve: ([alpha, d, kappa, delta], x) => alpha - d * Math.exp(-kappa * x ** delta),
    lower: [0, 0, 1e-3, 0.01],
    upper: [1, 1, 10, 5],
    starts: (_x, y) => asymptotes(y).flatMap((alpha) => [0.3, 1].map((kappa) => [alpha, Math.min(1, gap(alpha, y) * Math.exp(kappa)), kappa, 1])),
  },
  {
    name: 'mmf',
    parameters: ['alpha', 'alpha-beta', 'kappa', 'delta'],
    curve: ([alpha, d, kappa, delta], x) => alpha - d / (1 + (kappa * x) ** delta),
    lower: [0, 0, 1e-3, 0.01],
    upper: [1, 1, 10, 5],
    starts: (_x, y) => asymptotes(y).flatMap((alpha) => [0.5, 2].map((kappa) => [alpha, Math.min(1, gap(alpha, y) * (1 + kappa)), kappa, 1])),
  },
  {
    name: 'weibull',
    parameters: ['alpha', 'alpha-beta', 'kappa', 'delta'],
    curve: ([alpha, d, kappa, delta], x) => alpha - d * Math.exp(-((kappa * x) ** delta)),
    lower: [0, 0, 1e-3, 0.01],
    upper: [1, 1, 10, 5],
    starts: (_x, y) => asymptotes(y).flatMap((alpha) => [0.3, 1].map((kappa) => [alpha, Math.min(1, gap(alpha, y) * Math.exp(kappa)), kappa, 1])),
  },
]);

/** Family names, in `CURVE_FAMILIES` order. */
export const CURVE_FAMILY_NAMES: readonly string[] = Object.freeze(CURVE_FAMILIES.map((f) => f.name));

/** A family fitted to a curve. */
export interface FamilyFit {
  readonly family: CurveFamily;
  readonly parameters: readonly number[];
  /** Sum of squared residuals at the fitted parameters. */
  readonly sse: number;
}

/** Settings of every fit: enough iterations for four-parameter curves, steps fine enough for parameters near 1e-3. */
const FIT_SETTINGS = Object.freeze({ maxIterations: 200, errorTolerance: 1e-14, damping: 1e-2, gradientDifference: 1e-6, centralDifference: true });

const clampTo = (family: CurveFamily, p: readonly number[]) => p.map((v, k) => Math.min(family.upper[k], Math.max(family.lower[k], v)));

/** Sum of squared residuals of `family` under `p` on the points (`x`, `y`); Infinity where the curve is not finite. */
export function familySse(family: CurveFamily, p: readonly number[], x: ArrayLike<number>, y: ArrayLike<number>): number {
  let sse = 0;
  for (let i = 0; i < x.length; i++) {
    const r = y[i] - family.curve(p, x[i]);
    sse += r * r;
  }
  return Number.isFinite(sse) ? sse : Infinity;
}

/**
 * Fits `family` to the points (`x` ascending epochs >= 1, `y` accuracies) by bounded least
 * squares from each of its starting points. Returns the best fit; needs at least 2 points.
 */
export function fitFamily(family: CurveFamily, x: Float64Array, y: Float64Array): FamilyFit {
  const data = { x: Array.from(x), y: Array.from(y) };
  const curve = (p: number[]) => (at: number) => family.curve(p, at);
  let best: FamilyFit | undefined;
  for (const start of family.starts(x, y)) {
    const initialValues = clampTo(family, start);
    const { parameterValues: parameters } = levenbergMarquardt(data, curve, { ...FIT_SETTINGS, initialValues, minValues: family.lower, maxValues: family.upper });
    const sse = familySse(family, parameters, x, y);
    if (!best || sse < best.sse) best = { family, parameters, sse };
  }
  return best as FamilyFit;
}
