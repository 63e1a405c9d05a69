import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers.js';

/** Debian's Chromium (apt-get install chromium); playwright never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed (CI installs it; see .ci/run). */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** What a page showed: console errors and page errors, and the state of its images. */
export interface PageCheck {
  readonly errors: string[];
  readonly images: { src: string; complete: boolean; naturalWidth: number; naturalHeight: number }[];
  /** The SVG files the page links to, each loaded as an image. */
  readonly svgs: { src: string; naturalWidth: number }[];
}

/**
 * Opens `htmlFile` from disk in headless Chromium (fresh profile, no network services),
 * saves a full-page screenshot to `screenshot`, and reports what loaded.
 */
export async function openInBrowser(htmlFile: string, screenshot: string): Promise<PageCheck> {
  const context = await chromium.launchPersistentContext(tempDir('epochgraph-chromium-'), {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('requestfailed', (request) => errors.push(`failed to load ${request.url()}`));
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    const images = await page.$$eval('img', (list) => list.map((img) => ({ src: img.src, complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight })));
    const svgs = await page.$$eval('a[href$=".svg"]', (links) =>
      Promise.all(
        links.map(
          (link) =>
            new Promise<{ src: string; naturalWidth: number }>((resolve) => {
              const img = new Image();
              const src = (link as HTMLAnchorElement).href;
              img.onload = () => resolve({ src, naturalWidth: img.naturalWidth });
              img.onerror = () => resolve({ src, naturalWidth: 0 });
              img.src = src;
            }),
        ),
      ),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, images, svgs };
  } finally {
    await context.close();
  }
}
