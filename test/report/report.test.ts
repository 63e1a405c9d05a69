import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EpochgraphError, OptionError } from '../../src/errors.js';
import { METHODS, blocksOf } from '../../src/predict/evaluate-methods.js';
import type { MethodEvaluation } from '../../src/predict/evaluate.js';
import { evaluateTables, evaluationSpec } from '../../src/predict/evaluation.js';
import type { ZooEvaluation } from '../../src/predict/evaluation.js';
import { readModelFile } from '../../src/predict/model-file.js';
import { writeReport } from '../../src/report/report.js';
import type { ReportSummary } from '../../src/report/report.js';
import { writeRunReport } from '../../src/report/run-report.js';
import { buildFeatureTable } from '../../src/summary/table.js';
import type { FeatureTable } from '../../src/summary/table.js';
import { listFiles, runCli, tempDir } from '../helpers.js';
import { HAVE_CHROMIUM, openInBrowser } from './browser.js';
import { trainTinyZoo } from './tiny-zoo.js';

const WINDOW = [0, 1, 2];
/** Two balanced classes. */
const CLASSES = 2;
const CHANCE = 1 / CLASSES;

let zoo: string;
let runs: string[];
let table: FeatureTable;
let evaluation: ZooEvaluation;
let evaluations: readonly MethodEvaluation[];
let reportDir: string;
let summary: ReportSummary;

interface RunJson {
  id: string;
  history: { epoch: number; test_acc: number | null }[];
}
const runJson = (dir: string): RunJson => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

/** Width and height from a PNG's IHDR chunk; throws if the signature is wrong. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Width and height attributes of an SVG document's root element. */
function svgSize(text: string): { width: number; height: number } {
  const root = /^<svg\b[^>]*>/.exec(text.trimStart());
  expect(root, 'SVG root element').not.toBeNull();
  expect(text.trimEnd().endsWith('</svg>')).toBe(true);
  const attribute = (name: string) => Number(new RegExp(`\\s${name}="([\\d.]+)"`).exec(root![0])?.[1]);
  return { width: attribute('width'), height: attribute('height') };
}

/** The metric cells of the page's table for `subset`: method -> metric -> [data-value, text]. */
function metricCells(html: string, subset: string): Map<string, Map<string, [string, string]>> {
  const table = new RegExp(`<table class="metrics" data-subset="${subset}">(.*?)</table>`, 's').exec(html);
  expect(table, `metrics table ${subset}`).not.toBeNull();
  const rows = new Map<string, Map<string, [string, string]>>();
  for (const [, method, body] of table![1].matchAll(/<tr data-method="([^"]*)">(.*?)<\/tr>/gs)) {
    const cells = new Map<string, [string, string]>();
    for (const [, metric, value, text] of body.matchAll(/<td data-metric="(\w+)" data-value="([^"]*)"[^>]*>([^<]*)<\/td>/g)) cells.set(metric, [value, text]);
    rows.set(method, cells);
  }
  return rows;
}

beforeAll(async () => {
  zoo = tempDir();
  runs = await trainTinyZoo(zoo);
  table = await buildFeatureTable(runs, { window: WINDOW, layout: 'per-layer', blocks: blocksOf(METHODS) });
  evaluation = await evaluateTables(table, evaluationSpec({ window: WINDOW, folds: 3, classes: CLASSES }));
  evaluations = evaluation.evaluations;
  reportDir = join(tempDir(), 'report');
  summary = await writeReport({ zoo, evaluation, outDir: reportDir });
}, 240_000);

describe('writeReport', () => {
  it('writes the page, report.json and every figure as a valid SVG and PNG', () => {
    const files = listFiles(reportDir);
    expect(files).toContain('index.html');
    expect(files).toContain('report.json');
    const manifest = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    const names = manifest.figures.map((f: { name: string }) => f.name);
    for (const wanted of ['method-comparison', 'predicted-vs-actual', 'feature-importance', 'learning-curves', 'run-learning-curves', 'run-property-heatmap', 'graph-drawing']) {
      expect(names).toContain(wanted);
    }
    // One property figure per architecture of the zoo.
    expect(names.filter((n: string) => n.startsWith('property-evolution-'))).toHaveLength(2);
    const html = readFileSync(join(reportDir, 'index.html'), 'utf8');
    for (const figure of manifest.figures as { svg: string; png: string; width: number; height: number }[]) {
      const svg = svgSize(readFileSync(join(reportDir, figure.svg), 'utf8'));
      expect(svg.width).toBeGreaterThan(100);
      expect(svg.height).toBeGreaterThan(100);
      const png = pngSize(readFileSync(join(reportDir, figure.png)));
      // PNGs are drawn at twice the SVG's size, for sharp text on dense screens.
      expect(Math.abs(png.width - 2 * svg.width)).toBeLessThanOrEqual(2);
      expect(Math.abs(png.height - 2 * svg.height)).toBeLessThanOrEqual(2);
      expect(figure.width).toBe(Math.round(png.width / 2));
      expect(html).toContain(`src="${figure.png}" width="${figure.width}" height="${figure.height}"`);
      expect(html).toContain(`href="${figure.svg}"`);
    }
    expect(summary.figures.map((f) => f.name)).toEqual(names);
  });

  it('shows metrics tables equal to the evaluation, to three decimals, on all runs and on the runs that learned', () => {
    const html = readFileSync(join(reportDir, 'index.html'), 'utf8');
    for (const subset of ['all', 'learned'] as const) {
      const cells = metricCells(html, subset);
      expect([...cells.keys()]).toEqual(evaluations.map((e) => e.name));
      for (const evaluation of evaluations) {
        const metrics = subset === 'all' ? evaluation : evaluation.learned;
        const row = cells.get(evaluation.name)!;
        for (const key of ['n', 'r2', 'mae', 'kendall_tau', 'spearman', 'top_quarter_accuracy', 'top_quarter_auc', 'coverage'] as const) {
          const [value, text] = row.get(key)!;
          const expected = metrics[key];
          if (Number.isNaN(expected)) {
            expect(value).toBe('NaN');
            expect(text).toBe('-');
          } else {
            expect(Number(value)).toBe(expected);
            expect(Number(text)).toBeCloseTo(expected, 3);
            expect(text).toMatch(key === 'n' ? /^\d+$/ : /^-?\d+\.\d{3}$/);
          }
        }
      }
    }
  });

  it('agrees with numbers computed straight from the runs', () => {
    const histories = runs.map(runJson);
    const finals = histories.map((r) => r.history.at(-1)!.test_acc as number);
    const learnedCount = finals.filter((f) => f > CHANCE + 0.1).length;
    const cells = metricCells(readFileSync(join(reportDir, 'index.html'), 'utf8'), 'all');
    const learned = metricCells(readFileSync(join(reportDir, 'index.html'), 'utf8'), 'learned');
    expect(cells.get('graph')!.get('n')![1]).toBe(String(runs.length));
    expect(learned.get('graph')!.get('n')![1]).toBe(String(learnedCount));
    // Each method's MAE is that of the predictions report.json lists (undefined if a run has none).
    const listed = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')).runs as { predictions: Record<string, { predicted: number | null }> }[];
    for (const evaluation of evaluations) {
      const errors = listed.map((r, i) => Math.abs(finals[i] - (r.predictions[evaluation.name].predicted ?? NaN)));
      const shown = cells.get(evaluation.name)!.get('mae')!;
      if (errors.some(Number.isNaN)) expect(shown[1]).toBe('-');
      else expect(Number(shown[0])).toBeCloseTo(errors.reduce((a, b) => a + b, 0) / errors.length, 12);
    }
    const manifest = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(manifest.runs.map((r: { id: string }) => r.id)).toEqual(histories.map((r) => r.id));
    expect(manifest.runs.map((r: { final_test_acc: number }) => r.final_test_acc)).toEqual(finals);
    const graph = evaluations.find((e) => e.name === 'graph')!;
    manifest.runs.forEach((r: { predictions: Record<string, { predicted: number; lower: number; upper: number }> }, i: number) => {
      expect(r.predictions.graph.predicted).toBe(graph.predictions.predicted[i]);
      expect(r.predictions.graph.lower).toBeLessThanOrEqual(r.predictions.graph.predicted);
      expect(r.predictions.graph.upper).toBeGreaterThanOrEqual(r.predictions.graph.predicted);
    });
  });

  it('needs nothing from the network: no scripts, only local files and anchors', () => {
    const html = readFileSync(join(reportDir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    for (const [, link] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      if (link.startsWith('#') || link.startsWith('data:')) continue;
      expect(existsSync(join(reportDir, link)), link).toBe(true);
    }
    for (const file of readdirSync(join(reportDir, 'figures')).filter((f) => f.endsWith('.svg'))) {
      const svg = readFileSync(join(reportDir, 'figures', file), 'utf8');
      expect(svg).not.toMatch(/(?:href|src)="https?:/);
      expect(svg).not.toMatch(/url\(\s*['"]?https?:/);
    }
  });

  it('draws a LeNet network up close, saying how its edges were sampled', () => {
    expect(summary.featuredRun).toMatch(/^lenet-/);
    const manifest = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    const drawing = manifest.figures.find((f: { name: string }) => f.name === 'graph-drawing');
    // Half-width LeNet-5: fc1 has 60 neurons and fc2 42, so 2,520 edges end in fc2.
    expect(drawing.caption).toMatch(/\d+ of 2,?520 edges into fc2/);
    expect(drawing.caption).toContain('epoch 0 (initial weights)');
    expect(drawing.caption).toContain('epoch 2 (end of window)');
  });

  it('refuses a directory of other files and leaves it untouched', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    await expect(writeReport({ zoo, evaluation, outDir: dir })).rejects.toThrow(OptionError);
    expect(listFiles(dir)).toEqual(['notes.txt']);
  });

  it('leaves an earlier report in place when a new one fails, and replaces it when one succeeds', async () => {
    const before = listFiles(reportDir);
    const page = readFileSync(join(reportDir, 'index.html'), 'utf8');
    const model01 = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-1', '--out', model01, '--folds', '3', '--quiet'])).code).toBe(0);
    await expect(
      writeReport({ zoo, evaluation, model: await readModelFile(model01), outDir: reportDir }),
    ).rejects.toThrow(EpochgraphError);
    expect(listFiles(reportDir)).toEqual(before);
    expect(readFileSync(join(reportDir, 'index.html'), 'utf8')).toBe(page);

    const modelFile = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--out', modelFile, '--folds', '3', '--quiet'])).code).toBe(0);
    await writeReport({ zoo, evaluation, model: await readModelFile(modelFile), outDir: reportDir });
    expect(readdirSync(dirname(reportDir))).toEqual(['report']);
    const manifest = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(manifest.featured_method).toBe('model (graph+curve)');
    // Importances come from the model's trees, or from trees fitted on the zoo when it chose another estimator.
    expect(manifest.figures.map((f: { name: string }) => f.name)).toContain('feature-importance');
    expect(manifest.importance.method).toBe('graph+curve');
    // The model's predictions, computed here by the report, match `epochgraph predict` (which
    // refuses runs that diverged inside the window: their learning curve stops early).
    const complete = runs.filter((r) => runJson(r).history.some((h) => h.epoch === 2));
    expect(complete.length).toBeGreaterThan(runs.length / 2);
    const predicted = JSON.parse((await runCli(['predict', ...complete, '--model', modelFile, '--json'])).stdout) as { run: string; predicted: number }[];
    const byPath = new Map(predicted.map((p) => [p.run, p.predicted]));
    const listed = manifest.runs as { path: string; predictions: Record<string, { predicted: number }> }[];
    for (const run of complete) expect(listed.find((r) => r.path === run)!.predictions['model (graph+curve)'].predicted).toBe(byPath.get(run));
    expect(readFileSync(join(reportDir, 'index.html'), 'utf8')).toContain('<tr data-method="model (graph+curve)">');
  }, 120_000);
});

describe('writeRunReport', () => {
  it("writes one run's figures and, with a model, the model's prediction", async () => {
    const modelFile = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--out', modelFile, '--method', 'graph', '--folds', '3', '--quiet'])).code).toBe(0);
    const run = runs[3];
    const out = join(tempDir(), 'inspect');
    const written = await writeRunReport({ run, model: await readModelFile(modelFile), outDir: out });
    expect(written.figures.map((f) => f.name)).toEqual(['run-learning-curves', 'run-property-heatmap', 'graph-drawing']);
    for (const f of written.figures) {
      expect(pngSize(readFileSync(join(out, f.png))).width).toBeGreaterThan(0);
      expect(svgSize(readFileSync(join(out, f.svg), 'utf8')).width).toBeGreaterThan(0);
    }
    const [fromCli] = JSON.parse((await runCli(['predict', run, '--model', modelFile, '--json'])).stdout) as { predicted: number; lower: number; upper: number }[];
    const manifest = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(manifest.prediction).toMatchObject({ method: 'graph', predicted: fromCli.predicted, lower: fromCli.lower, upper: fromCli.upper });
    expect(manifest.window).toBe('0-2');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain(`${(fromCli.predicted * 100).toFixed(1)}%`);
  }, 60_000);
});

describe('epochgraph report and inspect', () => {
  it('report writes the report and prints its path; with a pruning replay, its figure and table', async () => {
    const out = join(tempDir(), 'cli-report');
    const replay = join(tempDir(), 'replay.json');
    const replayed = await runCli(['prune-replay', zoo, '--epochs', '0-2', '--folds', '3', '--classes', '2', '--orders', '2', '--json']);
    expect(replayed.code).toBe(0);
    writeFileSync(replay, replayed.stdout);
    const { code, stdout, stderr } = await runCli(['report', zoo, '--epochs', '0-2', '--folds', '3', '--replay', replay, '--out', out, '--quiet']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(join(out, 'index.html'));
    const manifest = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(manifest.window).toBe('0-2');
    expect(manifest.figures.map((f: { name: string }) => f.name)).toContain('pruning');
    expect(manifest.pruning.across_orders.seeds).toEqual([0, 1]);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('Stopping runs early');
    for (const policy of manifest.pruning.across_orders.summary) expect(html).toContain(`<td>${policy.policy}</td>`);
  }, 120_000);

  it('inspect writes the run report and prints the prediction', async () => {
    const modelFile = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--out', modelFile, '--folds', '3', '--quiet'])).code).toBe(0);
    const out = join(tempDir(), 'cli-inspect');
    const { code, stdout } = await runCli(['inspect', runs[0], '--model', modelFile, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^predicted final test accuracy [\d.]+ \(interval [\d.]+ to [\d.]+\)\n/);
    expect(stdout.trim().endsWith(join(out, 'index.html'))).toBe(true);
  }, 60_000);

  it('exits 2 with one line on bad input, writing nothing', async () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    const notEmpty = tempDir();
    writeFileSync(join(notEmpty, 'data.csv'), '1,2\n');
    const cases: [string[], RegExp][] = [
      [['report', join(parent, 'missing'), '--out', out], /cannot list zoo directory/],
      [['report', zoo, '--epochs', '3-1', '--out', out], /--epochs: range 3-1 is empty/],
      [['report', zoo, '--folds', '0', '--out', out], /--folds: expected a positive integer/],
      [['report', zoo, '--out', notEmpty], /is not empty and holds no earlier report/],
      [['report', zoo, '--model', join(zoo, 'mlp-0', 'run.json'), '--out', out], /not an epochgraph model file/],
      [['report', zoo, '--replay', join(zoo, 'mlp-0', 'run.json'), '--out', out], /run\.json: not a replay file \(write one with epochgraph prune-replay --json\)/],
      [['inspect', zoo, '--out', out], /run\.json: missing/],
      [['inspect', runs[0], '--epochs', '0-9', '--out', out], /no checkpoint for epoch 4/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(notEmpty)).toEqual(['data.csv']);
  }, 120_000);
});

describe('the report in a browser', () => {
  // Skipped only where Debian's chromium is not installed; CI installs it (.ci/run).
  it.skipIf(!HAVE_CHROMIUM && !process.env.CI)('loads from disk with every figure and no console error (screenshots in test-artifacts/)', async () => {
    const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const inspectDir = join(tempDir(), 'inspect');
    await writeRunReport({ run: runs[2], window: WINDOW, outDir: inspectDir });
    for (const [dir, shot] of [
      [reportDir, 'report.png'],
      [inspectDir, 'inspect.png'],
    ] as const) {
      const page = await openInBrowser(join(dir, 'index.html'), join(artifacts, shot));
      expect(page.errors).toEqual([]);
      expect(page.images.length).toBeGreaterThan(2);
      for (const image of page.images) {
        expect(image.complete, image.src).toBe(true);
        expect(image.naturalWidth, image.src).toBeGreaterThan(0);
        expect(image.naturalHeight, image.src).toBeGreaterThan(0);
      }
      // The SVG versions load as images too.
      expect(page.svgs.length).toBe(page.images.length);
      for (const svg of page.svgs) expect(svg.naturalWidth, svg.src).toBeGreaterThan(0);
      expect(existsSync(join(artifacts, shot))).toBe(true);
    }
  }, 120_000);
});
