import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { FONT_FAMILY, FONT_FILES, textWidth } from '../../src/report/font.js';
import { renderPng, renderSvg } from '../../src/report/render.js';

/** Width of the ink resvg draws for `text` at 100 px with the bundled font. */
function inkWidth(text: string, bold: boolean): number {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="200"><text x="10" y="150" font-family="${FONT_FAMILY}" font-size="100"${bold ? ' font-weight="bold"' : ''}>${text}</text></svg>`;
  const box = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: [FONT_FILES.regular, FONT_FILES.bold] } }).getBBox();
  return box?.width ?? 0;
}

describe('figure font', () => {
  it('measures text as resvg draws it (advance widths within a side bearing of the ink)', () => {
    for (const bold of [false, true]) {
      for (const text of ['Predicted vs actual final accuracy', 'graph:e3.fc1.eigenvector.q75', 'MAE 0.075, Kendall τ 0.66', 'WWWW', 'iiii']) {
        const measured = textWidth(text, 100, bold);
        const ink = inkWidth(text, bold);
        // Advances include the side bearings of the first and last glyph (and no kerning): under 0.3 em here.
        expect(measured - ink, `${text} bold=${bold}`).toBeGreaterThanOrEqual(-2);
        expect(measured - ink, `${text} bold=${bold}`).toBeLessThan(30);
      }
    }
  });

  it('scales with the font size and is wider in bold', () => {
    expect(textWidth('accuracy', 20)).toBeCloseTo(2 * textWidth('accuracy', 10), 10);
    expect(textWidth('accuracy', 10, true)).toBeGreaterThan(textWidth('accuracy', 10));
    expect(textWidth('', 10)).toBe(0);
  });

  it('renders a figure whose text uses the bundled font, to SVG and to a PNG of twice the size', async () => {
    const svg = await renderSvg({
      data: { values: [{ x: 1, y: 2 }] },
      mark: 'point',
      encoding: { x: { field: 'x', type: 'quantitative', title: 'epoch' }, y: { field: 'y', type: 'quantitative' } },
      width: 100,
      height: 80,
    });
    expect(svg).toContain(`font-family="${FONT_FAMILY}"`);
    const { png, width, height } = renderPng(svg);
    const declared = /<svg[^>]*width="(\d+)"[^>]*height="(\d+)"/.exec(svg)!;
    expect(width).toBe(Number(declared[1]));
    expect(height).toBe(Number(declared[2]));
    expect(Buffer.from(png).readUInt32BE(16)).toBe(2 * width);
  });

  it('refuses to load data from a URL', async () => {
    await expect(renderSvg({ data: { url: 'https://example.org/data.json' }, mark: 'point' })).rejects.toThrow(/refused "https:\/\/example.org\/data.json"/);
  });
});
