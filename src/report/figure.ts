/**
 * A report figure: a vega-lite specification with the words that go around it, and
 * writing it as `figures/<name>.svg` and `figures/<name>.png` in a report directory.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { renderFigure } from './render.js';
import type { VegaLiteSpec } from './render.js';

/** A figure before rendering. */
export interface Figure {
  /** File stem, unique within a report: `[a-z0-9-]+`. */
  readonly name: string;
  /** Short title, also drawn in the figure. */
  readonly title: string;
  /** What the figure shows and how it was computed (plain text). */
  readonly caption: string;
  readonly spec: VegaLiteSpec;
}

/** A figure written to disk: paths relative to the report directory, size in CSS pixels. */
export interface WrittenFigure {
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
  readonly png: string;
  readonly width: number;
  readonly height: number;
}

/** Subdirectory of a report holding the figure files. */
const FIGURE_DIR = 'figures';

/** Renders `figure` and writes its SVG and PNG under `reportDir`. Returns where they went. */
export async function writeFigure(reportDir: string, figure: Figure): Promise<WrittenFigure> {
  const rendered = await renderFigure(figure.spec);
  const svg = `${FIGURE_DIR}/${figure.name}.svg`;
  const png = `${FIGURE_DIR}/${figure.name}.png`;
  await writeFileAtomic(join(reportDir, svg), rendered.svg);
  await writeFileAtomic(join(reportDir, png), rendered.png);
  return { name: figure.name, title: figure.title, caption: figure.caption, svg, png, width: rendered.width, height: rendered.height };
}
