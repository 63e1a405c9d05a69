/**
 * Figures rendered in Node: a vega-lite specification becomes SVG through vega's
 * headless view, and the SVG becomes PNG through resvg with the bundled font (font.ts).
 * Figures carry their data inline; the loader handed to vega refuses every URL, so
 * rendering never touches the network or the file system.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { Config, TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, FONT_FILES, installTextMetrics } from './font.js';

/** Pixel density of PNG figures: 2 keeps them sharp on high-resolution screens. */
const PNG_SCALE = 2;

/** The shared look of every figure. */
const THEME: Config = {
  font: FONT_FAMILY,
  background: 'white',
  padding: 8,
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  header: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' },
  view: { stroke: '#ccc' },
};

/**
 * A vega-lite specification as plain data. Figures build them as object literals, which
 * vega-lite's own types (generic over every mark and channel) cannot check usefully;
 * the compiler checks them when they are rendered.
 */
export type VegaLiteSpec = Readonly<Record<string, unknown>>;

/** A figure rendered both ways, with its size in CSS pixels. */
export interface RenderedFigure {
  readonly svg: string;
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

function refuse(uri: string): Promise<never> {
  return Promise.reject(new Error(`figures load nothing; refused ${JSON.stringify(uri)}`));
}

/** A vega loader that loads nothing: data are inline, and a figure must never reach out. */
const OFFLINE_LOADER = {
  load: refuse,
  sanitize: refuse,
  http: refuse,
  file: refuse,
} as unknown as vega.Loader;

/** A vega logger that keeps warnings and errors instead of printing them. */
function collectingLogger(): { logger: vega.LoggerInterface; problems: string[] } {
  const problems: string[] = [];
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger: vega.LoggerInterface = {
    level: () => vega.Warn,
    error(...args: unknown[]) {
      problems.push(text(args));
      return this;
    },
    warn(...args: unknown[]) {
      problems.push(text(args));
      return this;
    },
    info() {
      return this;
    },
    debug() {
      return this;
    },
  };
  return { logger, problems };
}

/**
 * Renders a vega-lite specification (the theme applied) to SVG text. Returns the SVG;
 * throws if vega-lite or vega reports any warning or error (a dropped encoding, data that
 * failed to load), so that no figure is silently incomplete.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  installTextMetrics();
  const { logger, problems } = collectingLogger();
  const { spec: compiled } = compile(spec as unknown as TopLevelSpec, { config: THEME, logger });
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: OFFLINE_LOADER, logger });
  try {
    const svg = await view.toSVG();
    if (problems.length > 0) throw new Error(`figure rendering: ${problems.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text at `PNG_SCALE` with the bundled font only. Returns the PNG bytes and the CSS size. */
export function renderPng(svg: string): { png: Uint8Array; width: number; height: number } {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [FONT_FILES.regular, FONT_FILES.bold], defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    background: 'white',
  });
  const image = resvg.render();
  return { png: image.asPng(), width: Math.round(image.width / PNG_SCALE), height: Math.round(image.height / PNG_SCALE) };
}

/** Renders a vega-lite specification to SVG and PNG. */
export async function renderFigure(spec: VegaLiteSpec): Promise<RenderedFigure> {
  const svg = await renderSvg(spec);
  return { svg, ...renderPng(svg) };
}
