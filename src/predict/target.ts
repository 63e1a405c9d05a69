/**
 * Target transforms of the predictor pipeline. A zoo's final accuracies are proportions
 * spread unevenly: with a wide learning-rate range a third of the runs end at chance and
 * most others between 0.9 and 0.98. Fitted on raw accuracy, squared error is dominated by
 * the gap between those two groups, and estimators barely separate a run ending at 0.95
 * from one ending at 0.97. The logit, log(p / (1 - p)), the canonical link of a binomial
 * proportion (McCullagh & Nelder 1989), stretches both ends of [0, 1] (chance 0.1 ->
 * -2.20, 0.95 -> 2.94, 0.97 -> 3.48): estimators are fitted on the logit of the accuracy
 * and their predictions mapped back with the logistic function. Accuracies are clamped to
 * [LOGIT_EPSILON, 1 - LOGIT_EPSILON] first, so that 0 and 1 have finite logits.
 *
 * Reference:
 * - P. McCullagh, J. A. Nelder, Generalized linear models, 2nd ed., Chapman & Hall (1989), ch. 4.
 */
import { PredictError } from './errors.js';

/** Transforms of the target: `logit` of the accuracy, or `none` (raw accuracy). */
export const TARGET_TRANSFORMS = ['logit', 'none'] as const;
export type TargetTransform = (typeof TARGET_TRANSFORMS)[number];

/** Clamp of accuracies before the logit: finer than the resolution of a 1,000-example test set; logits stay within +/- 6.9. */
export const LOGIT_EPSILON = 1e-3;

/** Throws `PredictError` unless `transform` is one of TARGET_TRANSFORMS. */
export function checkTargetTransform(transform: unknown): asserts transform is TargetTransform {
  if (!(TARGET_TRANSFORMS as readonly unknown[]).includes(transform)) {
    throw new PredictError('target', `unknown target transform ${JSON.stringify(transform)}; expected one of ${TARGET_TRANSFORMS.join(', ')}`);
  }
}

/** Accuracies `y` in the estimators' space. Returns a new array. */
export function toTarget(transform: TargetTransform, y: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(y);
  if (transform === 'logit') {
    for (let i = 0; i < out.length; i++) {
      const p = Math.min(1 - LOGIT_EPSILON, Math.max(LOGIT_EPSILON, out[i]));
      out[i] = Math.log(p / (1 - p));
    }
  }
  return out;
}

/** Estimator outputs mapped back to accuracies (the logistic function for `logit`). Returns a new array. */
export function fromTarget(transform: TargetTransform, values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  if (transform === 'logit') for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]));
  return out;
}
