/**
 * `shapes`: a procedural 32x32 RGB dataset of ten shape classes (disk, ring, square,
 * hollow square, triangle, plus, X, diamond, ellipse, half-disk), generated
 * deterministically from a seed so that CNN zoos have a colour dataset offline.
 *
 * Each image draws its shape at a random position, size (radius 5-13 px) and rotation
 * (within +/-25 degrees, so that plus/X and square/diamond stay distinct), in a random
 * colour that is sometimes striped, over a random background with smooth colour noise,
 * plus pixel noise. Contrast varies from clear to faint, so accuracy spreads across a
 * hyperparameter grid instead of saturating. Pixels are antialiased by 2x2 supersampling.
 */
import { createRng } from '../../util/random.js';
import type { Rng } from '../../util/random.js';
import { datasetFromPool } from './dataset.js';
import type { Dataset, RawImages } from './dataset.js';

export const SHAPE_CLASSES = ['disk', 'ring', 'square', 'hollow-square', 'triangle', 'plus', 'x', 'diamond', 'ellipse', 'half-disk'] as const;

/** Options of `shapesDataset`. */
export interface ShapesOptions {
  /** Images generated. */
  readonly count: number;
  /** Of which the first are the training split. */
  readonly trainCount: number;
  readonly seed: number;
}

/** Defaults: 10,000 images, 8,000 for training. */
export const DEFAULTS: Readonly<ShapesOptions> = Object.freeze({ count: 10_000, trainCount: 8_000, seed: 0 });

const SIDE = 32;

/** Whether local coordinates (u, v), in units of the shape's radius, fall inside shape `kind`. */
function inside(kind: number, u: number, v: number): boolean {
  const r2 = u * u + v * v;
  const box = Math.max(Math.abs(u), Math.abs(v));
  switch (kind) {
    case 0:
      return r2 < 1;
    case 1:
      return r2 < 1 && r2 > 0.36;
    case 2:
      return box < 0.8;
    case 3:
      return box < 0.85 && box > 0.5;
    case 4:
      return v > -0.65 && v < 0.95 && Math.abs(u) < (0.95 - v) * 0.62;
    case 5:
      return (Math.abs(u) < 0.24 && Math.abs(v) < 0.95) || (Math.abs(v) < 0.24 && Math.abs(u) < 0.95);
    case 6: {
      const a = (u + v) * Math.SQRT1_2;
      const b = (u - v) * Math.SQRT1_2;
      return (Math.abs(a) < 0.24 && Math.abs(b) < 0.95) || (Math.abs(b) < 0.24 && Math.abs(a) < 0.95);
    }
    case 7:
      return Math.abs(u) + Math.abs(v) < 1;
    case 8:
      return u * u + (v * v) / 0.25 < 1;
    default:
      return r2 < 1 && v < 0.1;
  }
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.uniform(), rng.uniform(), rng.uniform()];
}

/** Renders image `index` of class `kind` into `out` (NHWC floats in [0, 1]). */
function renderShape(rng: Rng, kind: number, out: Float32Array, offset: number): void {
  const radius = 5 + rng.uniform() * 8;
  const cx = radius + rng.uniform() * (SIDE - 2 * radius);
  const cy = radius + rng.uniform() * (SIDE - 2 * radius);
  const angle = ((rng.uniform() * 2 - 1) * 25 * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const background = randomColour(rng);
  const contrast = 0.15 + 0.85 * rng.uniform();
  const foreground = background.map((c) => {
    const direction = rng.uniform() < 0.5 ? -1 : 1;
    const target = c + direction * contrast;
    return target < 0 || target > 1 ? c - direction * contrast * 0.8 : target;
  });
  const striped = rng.uniform() < 0.35;
  const stripeFrequency = 1.5 + rng.uniform() * 2;
  // Smooth background noise: a random low-frequency sinusoid per channel.
  const waves = [0, 1, 2].map(() => ({ fx: rng.uniform() * 0.4, fy: rng.uniform() * 0.4, phase: rng.uniform() * 6.283, amp: rng.uniform() * 0.15 }));
  const pixelNoise = 0.02 + rng.uniform() * 0.08;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let coverage = 0;
      let stripe = 0;
      for (let sy = 0; sy < 2; sy++) {
        for (let sx = 0; sx < 2; sx++) {
          const dx = (x + 0.25 + 0.5 * sx - cx) / radius;
          const dy = (y + 0.25 + 0.5 * sy - cy) / radius;
          const u = cos * dx + sin * dy;
          const v = -sin * dx + cos * dy;
          if (inside(kind, u, v)) {
            coverage += 0.25;
            if (striped && Math.sin(stripeFrequency * Math.PI * (u + v)) > 0) stripe += 0.25;
          }
        }
      }
      for (let c = 0; c < 3; c++) {
        const wave = waves[c];
        const bg = background[c] + wave.amp * Math.sin(wave.fx * x + wave.fy * y + wave.phase);
        const fg = foreground[c] * (1 - 0.5 * stripe) + 0.5 * stripe * (1 - foreground[c]);
        const value = bg * (1 - coverage) + fg * coverage + pixelNoise * rng.normal();
        out[offset + (y * SIDE + x) * 3 + c] = Math.min(1, Math.max(0, value));
      }
    }
  }
}

/** Generates `count` images (classes balanced, in a seeded random order). Returns raw NHWC fractions. */
export function generateShapes(count: number, seed: number): RawImages {
  const pixels = new Float32Array(count * SIDE * SIDE * 3);
  const labels = new Uint8Array(count);
  const rng = createRng(seed);
  for (let i = 0; i < count; i++) {
    const kind = i % SHAPE_CLASSES.length;
    labels[i] = kind;
    renderShape(rng, kind, pixels, i * SIDE * SIDE * 3);
  }
  return { pixels, labels, count, height: SIDE, width: SIDE, channels: 3 };
}

/** The shapes dataset, split by a seeded shuffle. Returns the dataset. */
export function shapesDataset(options: Partial<ShapesOptions> = {}): Dataset {
  const { count, trainCount, seed } = { ...DEFAULTS, ...options };
  return datasetFromPool('shapes', generateShapes(count, seed), trainCount, SHAPE_CLASSES.length, seed + 1);
}
