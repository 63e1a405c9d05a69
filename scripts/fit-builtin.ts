/**
 * Fits the built-in pretrained model shipped in the package (models/builtin.json; its card
 * is docs/builtin-model.md) on zoos, pooled: the graph summary and learning curve of epochs
 * 0-3 in the agnostic layout (comparable across architectures and widths), correcting the
 * `last-acc` prior, so that a run whose features say nothing gets its test accuracy at epoch 3.
 * Seeded and recorded: the model file keeps the zoos' directory names, the runs per architecture and
 * dataset, the window, the method and its cross-validated metrics. Prints those, with the
 * `last-acc` and `lc-extrapolate` baselines on the same folds, and the file's size.
 *
 * A zoo is a directory of runs with their checkpoints, or a study zoo kept in the repository
 * (results/study/<zoo>: run.json files and a snapshot table, scripts/study-data.ts).
 *
 * Usage: npm run builtin:fit -- ZOO... [--out models/builtin.json] [--seed 0] [--folds 5]
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/output.js';
import { findMethod } from '../src/predict/evaluate-methods.js';
import type { Method } from '../src/predict/evaluate-methods.js';
import { listZoos } from '../src/checkpoint/run.js';
import { evaluateTables, evaluationSpec, specBlocks } from '../src/predict/evaluation.js';
import { BUILTIN_MODEL_FILE, writeModelFile } from '../src/predict/model-file.js';
import { fitModel } from '../src/predict/model-fit.js';
import { buildFeatureTable } from '../src/summary/table.js';
import { keptOrExtractedFeatures } from './study.js';

/** The built-in model's recipe. */
const BUILTIN_RECIPE = Object.freeze({ window: [0, 1, 2, 3], layout: 'agnostic', method: 'graph+curve', prior: 'last-acc' } as const);

const { values, positionals: zoos } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: BUILTIN_MODEL_FILE },
    seed: { type: 'string', default: '0' },
    folds: { type: 'string', default: '5' },
  },
});
if (zoos.length === 0) {
  console.error('usage: npm run builtin:fit -- ZOO... [--out models/builtin.json] [--seed 0] [--folds 5]');
  process.exit(2);
}

const method = (name: string) => findMethod(name) as Method;
const spec = evaluationSpec({
  window: BUILTIN_RECIPE.window,
  layout: BUILTIN_RECIPE.layout,
  methods: [method(BUILTIN_RECIPE.method)],
  seed: Number(values.seed),
  folds: Number(values.folds),
  pipeline: { prior: BUILTIN_RECIPE.prior },
});
const baselines = [method('last-acc'), method('lc-extrapolate')];
// A study zoo kept in the repository (results/study/<zoo>) gives its features from its snapshot table.
const blocks = [...new Set([...specBlocks(spec), ...baselines.flatMap((m) => m.blocks)])];
const table = await buildFeatureTable(
  await listZoos(zoos),
  { window: spec.window, layout: spec.layout, blocks },
  (done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\rfeatures ${done}/${total} runs`);
  },
  keptOrExtractedFeatures,
);
if (process.stderr.isTTY) process.stderr.write('\n');
const { model, evaluation } = await fitModel(table, spec);
const { evaluations } = await evaluateTables(table, { ...spec, methods: baselines, pipeline: {} });
// Directory names, not paths: the file ships in the package and says nothing of the machine that fitted it.
await writeModelFile(values.out, { ...model, zoos: zoos.map((zoo) => basename(resolve(zoo))) });

console.log(`${values.out}: ${(await stat(values.out)).size} bytes`);
console.log(`zoos: ${zoos.join(', ')}; ${model.training_runs} training runs`);
console.log(renderTable(['architecture/dataset', 'runs'], Object.entries(model.runs_per_cell ?? {}).map(([cell, n]) => [cell, String(n)]), ['left', 'right']));
console.log(
  `window ${spec.window.join(',')}, ${spec.layout} features, method ${model.method} correcting ${BUILTIN_RECIPE.prior}, ${model.columns.length} columns, ` +
    `chosen ${model.pipeline.candidate}; grouped ${spec.folds}-fold cross-validation, seed ${spec.seed}:`,
);
const row = (name: string, m: typeof evaluation) => [name, String(m.n), ...[m.kendall_tau, m.learned.kendall_tau, m.r2, m.mae, m.coverage, m.interval_width].map((v) => (Number.isNaN(v) ? '-' : v.toFixed(3)))];
console.log(
  renderTable(
    ['method', 'runs', 'Kendall tau', 'tau, learned', 'R^2', 'MAE', 'coverage', 'width'],
    [row(`${model.method} (built-in)`, evaluation), ...evaluations.map((e) => row(e.name, e))],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  ),
);
