/**
 * The report pages: one self-contained HTML file each, with its style inline and its
 * figures as PNG files beside it (drawn with the bundled font, so they look the same
 * everywhere; each links to its SVG). Nothing is fetched from the network.
 */
import type { WrittenFigure } from './figure.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A section of a page. */
export interface Section {
  /** Anchor id. */
  readonly id: string;
  readonly heading: string;
  /** Body HTML (already escaped). */
  readonly html: string;
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #1d1d1f; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 40px 0 8px; padding-top: 8px; border-top: 1px solid #e3e3e3; }
h3 { font-size: 16px; margin: 24px 0 6px; }
p, li { max-width: 900px; }
.lead { color: #444; margin: 0 0 12px; }
nav ol { margin: 8px 0 0; padding-left: 20px; columns: 2; max-width: 700px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
figure { margin: 16px 0 28px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13.5px; color: #333; max-width: 900px; margin-top: 6px; }
figcaption a { color: #555; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; text-align: right; }
th { background: #f3f4f6; font-weight: 600; }
th:first-child, td:first-child, td.text { text-align: left; }
td.best { font-weight: 700; }
caption { caption-side: bottom; text-align: left; font-size: 13px; color: #555; padding-top: 6px; }
.note { color: #555; font-size: 13.5px; }
code { font-size: 13px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
footer { margin-top: 48px; color: #666; font-size: 13px; }
`;

/** A figure block: the PNG at its natural size, numbered caption, link to the SVG. */
export function figureHtml(figure: WrittenFigure, number: number): string {
  return (
    `<figure id="figure-${escapeHtml(figure.name)}">` +
    `<img src="${escapeHtml(figure.png)}" width="${figure.width}" height="${figure.height}" alt="${escapeHtml(figure.title)}">` +
    `<figcaption><strong>Figure ${number}.</strong> ${escapeHtml(figure.caption)} <a href="${escapeHtml(figure.svg)}">SVG</a></figcaption>` +
    `</figure>`
  );
}

/** A definition list of facts (label, value), both plain text. */
export function factsHtml(facts: readonly (readonly [string, string])[]): string {
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** Options of `pageHtml`. */
export interface PageOptions {
  readonly title: string;
  /** Plain-text lines under the title. */
  readonly lead: readonly string[];
  readonly sections: readonly Section[];
  /** Footer HTML (already escaped). */
  readonly footer: string;
}

/** A whole page. Returns the HTML text. */
export function pageHtml(options: PageOptions): string {
  const nav = options.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.heading)}</a></li>`).join('');
  const sections = options.sections.map((s) => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.heading)}</h2>${s.html}</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(options.title)}</h1>
${options.lead.map((line) => `<p class="lead">${escapeHtml(line)}</p>`).join('\n')}
<nav><ol>${nav}</ol></nav>
${sections}
<footer>${options.footer}</footer>
</main>
</body>
</html>
`;
}
