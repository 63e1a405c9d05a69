/**
 * The one typeface of every figure: DejaVu Sans (regular and bold), shipped as TrueType
 * files by the `dejavu-fonts-ttf` package, so a figure renders the same on every machine
 * whatever fonts the system has.
 *
 * Two consumers need the font: resvg draws the glyphs (it is given the files and no system
 * fonts), and vega lays text out before any drawing (title offsets, legend widths, label
 * truncation). Without a canvas package vega guesses every character as 0.8 em wide, which
 * truncates axis labels early and misplaces titles, so `installTextMetrics` gives vega the
 * font's real advance widths, read here from the files' `cmap` and `hmtx` tables
 * (OpenType specification, https://learn.microsoft.com/typography/opentype/spec/).
 * Kerning is left out: it changes widths by a fraction of a percent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as vega from 'vega';

/** The family name figures use, as the font files declare it. */
export const FONT_FAMILY = 'DejaVu Sans';

const require = createRequire(import.meta.url);

/** Paths of the regular and bold font files. */
export const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
} as const;

/** Horizontal metrics of one font file: advance width per code point, in em. */
interface AdvanceWidths {
  readonly byCodePoint: ReadonlyMap<number, number>;
  /** Advance of the missing-glyph box (glyph 0), drawn for unmapped characters. */
  readonly missing: number;
}

function tableOffsets(font: DataView): Map<string, number> {
  const tables = new Map<string, number>();
  const count = font.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(...[0, 1, 2, 3].map((k) => font.getUint8(record + k)));
    tables.set(tag, font.getUint32(record + 8));
  }
  return tables;
}

/** Reads the advance widths of a TrueType file's Unicode BMP characters (cmap format 4). */
function readAdvanceWidths(file: string): AdvanceWidths {
  const bytes = readFileSync(file);
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = tableOffsets(font);
  const table = (tag: string) => {
    const offset = tables.get(tag);
    if (offset === undefined) throw new Error(`${file}: font has no ${tag} table`);
    return offset;
  };
  const unitsPerEm = font.getUint16(table('head') + 18);
  const metricCount = font.getUint16(table('hhea') + 34);
  const hmtx = table('hmtx');
  // Glyphs past the last metric share its advance (monospaced tails).
  const advance = (glyph: number) => font.getUint16(hmtx + 4 * Math.min(glyph, metricCount - 1)) / unitsPerEm;

  const cmap = table('cmap');
  let subtable: number | undefined;
  for (let i = 0; i < font.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const platform = font.getUint16(record);
    const encoding = font.getUint16(record + 2);
    const offset = cmap + font.getUint32(record + 4);
    const unicode = (platform === 3 && encoding === 1) || platform === 0;
    if (unicode && font.getUint16(offset) === 4) subtable = offset;
  }
  if (subtable === undefined) throw new Error(`${file}: font has no Unicode BMP character map`);
  const segments = font.getUint16(subtable + 6) / 2;
  const ends = subtable + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  const byCodePoint = new Map<number, number>();
  for (let s = 0; s < segments; s++) {
    const start = font.getUint16(starts + 2 * s);
    const end = font.getUint16(ends + 2 * s);
    const delta = font.getUint16(deltas + 2 * s);
    const rangeOffsetAt = rangeOffsets + 2 * s;
    const rangeOffset = font.getUint16(rangeOffsetAt);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
      else {
        glyph = font.getUint16(rangeOffsetAt + rangeOffset + 2 * (c - start));
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) byCodePoint.set(c, advance(glyph));
    }
  }
  return { byCodePoint, missing: advance(0) };
}

let metrics: { regular: AdvanceWidths; bold: AdvanceWidths } | undefined;

function fontMetrics() {
  metrics ??= { regular: readAdvanceWidths(FONT_FILES.regular), bold: readAdvanceWidths(FONT_FILES.bold) };
  return metrics;
}

/** Width in pixels of `text` set in the figure font at `fontSize` pixels. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const widths = bold ? fontMetrics().bold : fontMetrics().regular;
  let em = 0;
  for (const character of text) em += widths.byCodePoint.get(character.codePointAt(0) as number) ?? widths.missing;
  return em * fontSize;
}

/** The fields of a vega text item that text measurement reads. */
interface TextItem {
  readonly fontSize?: number | string;
  readonly fontWeight?: number | string;
  /** Truncation width in pixels (0 or absent: none). */
  readonly limit?: number;
}

/**
 * Makes vega measure text with the figure font instead of its 0.8 em guess (vega's
 * documented hook: a replaced `textMetrics.width`). Vega calls it both for the layout of
 * whole labels and inside label truncation; clamping at the item's limit serves both,
 * since a truncated label is at most that wide. Returns nothing; idempotent.
 */
export function installTextMetrics(): void {
  const textMetrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  textMetrics.width = (item, text) => {
    const value = text === null || text === undefined ? '' : String(text).trim();
    const size = item.fontSize === undefined ? 11 : Number(item.fontSize) || 0;
    const weight = item.fontWeight;
    const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600);
    const width = textWidth(value, size, bold);
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}
