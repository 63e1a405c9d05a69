/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2021) seeded through splitmix32, so that the same
 * seed gives the same stream on every platform. Normals by the Box-Muller transform.
 */

/** A deterministic random stream. */
export interface Rng {
  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** The stream's position, to continue it later with `createRng(seed, state)`. */
  state(): RngState;
}

/** The position of a stream: xoshiro128**'s four words and a pending Box-Muller normal. */
export interface RngState {
  readonly words: readonly [number, number, number, number];
  readonly spare: number | null;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a stream from an integer seed, at its start or at `from` (a `state()` of an earlier stream). */
export function createRng(seed: number, from?: RngState): Rng {
  const init = splitmix32(seed);
  let [a, b, c, d] = from ? from.words : [init(), init(), init(), init()];
  const next = (): number => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    return result;
  };
  let spare: number | undefined = from?.spare ?? undefined;
  return {
    state: () => ({ words: [a, b, c, d], spare: spare ?? null }),
    uniform: () => next() / 4294967296,
    normal: () => {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      // 1 - u keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - next() / 4294967296));
      const angle = (2 * Math.PI * next()) / 4294967296;
      spare = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
  };
}

/** A writable array-like: an array or a typed array. */
interface Writable<T> {
  readonly length: number;
  [index: number]: T;
}

/**
 * Shuffles `array` in place, every order equally likely: Fisher-Yates as Durstenfeld
 * wrote it (CACM 7, 1964), from the last entry down. Returns `array`.
 */
export function shuffleInPlace<T, A extends Writable<T>>(array: A, rng: Rng): A {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = array[i];
    array[i] = array[j];
    array[j] = t;
  }
  return array;
}

/**
 * Moves a uniform sample of `count` entries (without replacement) to the front of
 * `array`: the first `count` steps of Fisher-Yates from the front, O(count). Returns `array`.
 */
export function samplePrefixInPlace<T, A extends Writable<T>>(array: A, count: number, rng: Rng): A {
  const n = array.length;
  for (let k = 0; k < Math.min(count, n); k++) {
    const j = k + Math.floor(rng.uniform() * (n - k));
    const t = array[k];
    array[k] = array[j];
    array[j] = t;
  }
  return array;
}
