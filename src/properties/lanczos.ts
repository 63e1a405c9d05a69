/**
 * Largest eigenpair of a symmetric operator by the Lanczos method with full
 * reorthogonalisation and explicit restarts.
 *
 * Why Lanczos: a feed-forward network's graph is (close to) bipartite, so its adjacency
 * spectrum is symmetric (+/- rho) and plain power iteration oscillates; the shifted power
 * iteration on A + I converges in hundreds of products. Lanczos finds the extreme
 * eigenvalues of a Krylov space and converges in tens of products.
 *
 * Algorithm: build an orthonormal Krylov basis q_0, q_1, ... (q_0 = the start vector) with the
 * three-term recurrence, orthogonalised against the whole basis twice ("twice is enough"),
 * which keeps the tridiagonal T_k exact to rounding. After every product the largest
 * eigenvalue theta of T_k is found by bisection on Sturm counts and its eigenvector s by
 * inverse iteration; the residual ||A u - theta u|| of the Ritz vector u = Q s equals
 * beta_k |s_k|, so convergence is checked without extra products. If the basis fills up
 * first, Lanczos restarts from u. Deterministic: no random start vector.
 *
 * References:
 * - C. Lanczos, An iteration method for the solution of the eigenvalue problem of linear
 *   differential and integral operators, J. Res. Nat. Bur. Standards 45 (1950) 255-282.
 * - B. N. Parlett, The Symmetric Eigenvalue Problem, SIAM 1998, ch. 7 and 13 (full
 *   reorthogonalisation, the residual bound beta_k |s_k|).
 * - G. H. Golub, C. F. Van Loan, Matrix Computations, 4th ed. 2013, sections 8.4 (Sturm
 *   bisection for tridiagonal matrices), 8.2.2 (inverse iteration), 10.1 (Lanczos).
 * - L. Giraud, J. Langou, M. Rozloznik, The loss of orthogonality in the Gram-Schmidt
 *   orthogonalization process, Comput. Math. Appl. 50 (2005) 1069-1075 (two passes suffice).
 */
import { PropertyError } from './errors.js';

/** Options of `largestEigenpair`. */
export interface LanczosOptions {
  /** Stop when ||A u - theta u|| <= tolerance * |theta|. */
  readonly tolerance?: number;
  /** Give up (with an error) after this many products. */
  readonly maxProducts?: number;
  /** Krylov basis size before a restart; capped so the basis stays under `maxBasisBytes`. */
  readonly basisSize?: number;
  /** Memory cap of the basis (8 bytes x nodes x basis size). */
  readonly maxBasisBytes?: number;
}

/** Defaults of `LanczosOptions`. */
export const DEFAULTS = Object.freeze({
  tolerance: 1e-12,
  maxProducts: 2000,
  basisSize: 64,
  maxBasisBytes: 2 ** 28,
});

/** An eigenvalue, its unit eigenvector, and what it cost. */
export interface Eigenpair {
  readonly value: number;
  /** Unit L2 norm; its sign is whatever the iteration produced. */
  readonly vector: Float64Array;
  /** Operator products used. */
  readonly products: number;
  /** ||A u - value u|| at convergence (the Lanczos estimate). */
  readonly residual: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Number of eigenvalues of the symmetric tridiagonal (a, b) below x (Sturm sequence count). */
function countBelow(a: Float64Array, b: Float64Array, k: number, x: number): number {
  let count = 0;
  let d = 1;
  for (let i = 0; i < k; i++) {
    d = a[i] - x - (i > 0 ? (b[i - 1] * b[i - 1]) / d : 0);
    // An exact zero pivot: perturb it, as LAPACK's dstebz does.
    if (d === 0) d = -Number.EPSILON * (Math.abs(x) + Number.MIN_VALUE);
    if (d < 0) count++;
  }
  return count;
}

/** Largest eigenvalue of the k x k symmetric tridiagonal with diagonal a and off-diagonal b, by bisection. */
function largestTridiagonalEigenvalue(a: Float64Array, b: Float64Array, k: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const radius = (i > 0 ? Math.abs(b[i - 1]) : 0) + (i < k - 1 ? Math.abs(b[i]) : 0);
    lo = Math.min(lo, a[i] - radius);
    hi = Math.max(hi, a[i] + radius);
  }
  // Invariant: countBelow(lo) <= k - 1 < k = countBelow(hi) (Gershgorin bounds hold all eigenvalues).
  for (let iteration = 0; iteration < 200; iteration++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (countBelow(a, b, k, mid) >= k) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Unit eigenvector of the tridiagonal (a, b) for eigenvalue theta, by two steps of inverse
 * iteration: Gaussian elimination of T - theta I with partial pivoting.
 */
function tridiagonalEigenvector(a: Float64Array, b: Float64Array, k: number, theta: number): Float64Array {
  // Rows after elimination: u0 on the diagonal, u1 and u2 on the first two super-diagonals.
  const u0 = new Float64Array(k);
  const u1 = new Float64Array(k);
  const u2 = new Float64Array(k);
  const multiplier = new Float64Array(k);
  const swapped = new Uint8Array(k);
  let scale = 0;
  for (let i = 0; i < k; i++) scale = Math.max(scale, Math.abs(a[i] - theta) + (i < k - 1 ? Math.abs(b[i]) : 0));
  const tiny = Number.EPSILON * (scale || 1);
  let d = a[0] - theta;
  let e = k > 1 ? b[0] : 0;
  for (let i = 0; i < k - 1; i++) {
    // Current row i: [d, e, f]; next row i+1: [b[i], a[i+1] - theta, b[i+1]].
    const sub = b[i];
    const next = a[i + 1] - theta;
    const nextE = i + 1 < k - 1 ? b[i + 1] : 0;
    if (Math.abs(sub) > Math.abs(d)) {
      swapped[i] = 1;
      const m = d / sub;
      u0[i] = sub;
      u1[i] = next;
      u2[i] = nextE;
      multiplier[i] = m;
      d = e - m * next;
      e = -m * nextE;
    } else {
      const m = d === 0 ? 0 : sub / d;
      u0[i] = d === 0 ? tiny : d;
      u1[i] = e;
      u2[i] = 0;
      multiplier[i] = m;
      d = next - m * e;
      e = nextE;
    }
  }
  u0[k - 1] = d === 0 ? tiny : d;
  const x = new Float64Array(k).fill(1);
  for (let step = 0; step < 2; step++) {
    // Forward: apply the row operations to the right-hand side.
    for (let i = 0; i < k - 1; i++) {
      if (swapped[i]) {
        const t = x[i];
        x[i] = x[i + 1];
        x[i + 1] = t - multiplier[i] * x[i];
      } else {
        x[i + 1] -= multiplier[i] * x[i];
      }
    }
    // Back substitution.
    for (let i = k - 1; i >= 0; i--) {
      let s = x[i];
      if (i + 1 < k) s -= u1[i] * x[i + 1];
      if (i + 2 < k) s -= u2[i] * x[i + 2];
      x[i] = s / (Math.abs(u0[i]) < tiny ? Math.sign(u0[i] || 1) * tiny : u0[i]);
    }
    const norm = Math.hypot(...x);
    for (let i = 0; i < k; i++) x[i] /= norm;
  }
  return x;
}

/**
 * Largest (algebraic) eigenpair of the symmetric operator `multiply` (y = A x) on vectors of
 * length n, starting from `start` (normalised here; default: the uniform vector).
 * Returns the eigenpair; throws `PropertyError` (prefix `lanczos`) if it does not
 * converge within `maxProducts`.
 */
export function largestEigenpair(
  n: number,
  multiply: (x: Float64Array, y: Float64Array) => void,
  options: LanczosOptions = {},
  start?: Float64Array,
): Eigenpair {
  const tolerance = options.tolerance ?? DEFAULTS.tolerance;
  const maxProducts = options.maxProducts ?? DEFAULTS.maxProducts;
  const byMemory = Math.floor((options.maxBasisBytes ?? DEFAULTS.maxBasisBytes) / (8 * Math.max(1, n)));
  const m = Math.max(2, Math.min(options.basisSize ?? DEFAULTS.basisSize, n, byMemory));
  if (!(tolerance > 0)) throw new PropertyError('lanczos', 'tolerance must be positive');
  if (n === 0) return { value: 0, vector: new Float64Array(0), products: 0, residual: 0 };

  // Allocated as the basis grows: most solves converge long before m vectors.
  const basis: Float64Array[] = [new Float64Array(n)];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m);
  const w = new Float64Array(n);
  const coefficients = new Float64Array(m);
  const current = start ? Float64Array.from(start) : new Float64Array(n).fill(1);
  let products = 0;

  for (;;) {
    const q0 = basis[0];
    const norm = Math.sqrt(dot(current, current));
    for (let i = 0; i < n; i++) q0[i] = current[i] / norm;
    for (let k = 0; k < m; k++) {
      const q = basis[k];
      multiply(q, w);
      products++;
      // Orthogonalise against the whole basis, twice; the first pass also yields alpha_k.
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j <= k; j++) coefficients[j] = dot(basis[j], w);
        if (pass === 0) alpha[k] = coefficients[k];
        else alpha[k] += coefficients[k];
        for (let j = 0; j <= k; j++) {
          const c = coefficients[j];
          const v = basis[j];
          for (let i = 0; i < n; i++) w[i] -= c * v[i];
        }
      }
      beta[k] = Math.sqrt(dot(w, w));
      const size = k + 1;
      const theta = largestTridiagonalEigenvalue(alpha, beta, size);
      const s = tridiagonalEigenvector(alpha, beta, size, theta);
      const residual = Math.abs(beta[k] * s[k]);
      const converged = residual <= tolerance * Math.abs(theta) || beta[k] <= Number.EPSILON * Math.abs(theta) || residual === 0;
      if (converged || k === m - 1 || size === n) {
        current.fill(0);
        for (let j = 0; j < size; j++) {
          const c = s[j];
          const v = basis[j];
          for (let i = 0; i < n; i++) current[i] += c * v[i];
        }
        const unit = Math.sqrt(dot(current, current));
        for (let i = 0; i < n; i++) current[i] /= unit;
        if (converged || size === n) return { value: theta, vector: current, products, residual };
        if (products >= maxProducts) {
          throw new PropertyError('lanczos', `did not converge in ${products} products (residual ${residual.toExponential(2)})`);
        }
        break;
      }
      const next = (basis[k + 1] ??= new Float64Array(n));
      for (let i = 0; i < n; i++) next[i] = w[i] / beta[k];
    }
  }
}
