/**
 * Benchmark: how the predictors fare on small zoos. Builds one zoo's feature table once, then
 * runs the small-zoo protocol of `epochgraph evaluate --train-size N --repeats R` (grouped,
 * seeded draws of N training runs, each tested on the rest) for every N and variant:
 * - `plain`: every method as `evaluate` fits it;
 * - `prior last-acc`, `prior lc-extrapolate`: the learned methods correct that prior (`--prior`);
 * - `squared` and `pairwise`: the boosted trees alone (no ridge, no prior) fitted with squared
 *   error or the pairwise ranking loss, for the ranking-objective comparison.
 * Prints, per variant, N and method, the mean (standard deviation over the draws) of Kendall's
 * tau over all test runs and over the test runs that learned, and of R^2.
 *
 * Usage: npm run bench:small-zoo -- ZOO [--epochs 0-3] [--sizes 12,24,36] [--repeats 10] [--seed 0]
 *        [--variants plain,prior:last-acc,prior:lc-extrapolate,squared,pairwise] [--methods LIST] [--workers 2]
 */
import { parseArgs } from 'node:util';
import { listZoo } from '../src/checkpoint/run.js';
import { renderTable } from '../src/cli/output.js';
import { findMethod } from '../src/predict/evaluate-methods.js';
import type { Method } from '../src/predict/evaluate-methods.js';
import { evaluateSubsamples, evaluationSpec, specBlocks } from '../src/predict/evaluation.js';
import type { PipelineOptions } from '../src/predict/pipeline.js';
import { buildFeatureTable } from '../src/summary/table.js';
import { parseEpochWindow } from '../src/util/epochs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '0-3' },
    sizes: { type: 'string', default: '12,24,36' },
    repeats: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
    variants: { type: 'string', default: 'plain,prior:last-acc,prior:lc-extrapolate,squared,pairwise' },
    methods: { type: 'string', default: 'graph,graph-compact,graph+curve,curve,last-acc,lc-extrapolate' },
    workers: { type: 'string', default: '2' },
  },
});
if (positionals.length !== 1) throw new Error('usage: npm run bench:small-zoo -- ZOO [--sizes 12,24,36] [--repeats 10]');
const [zoo] = positionals;
const window = parseEpochWindow(values.epochs);
const sizes = values.sizes.split(',').map(Number);
const repeats = Number(values.repeats);
const seed = Number(values.seed);
const workers = Number(values.workers);
const methods = values.methods.split(',').map((name) => {
  const method = findMethod(name);
  if (!method) throw new Error(`unknown method ${name}`);
  return method;
});

/** The pipeline options of a variant. */
function variantPipeline(variant: string): Partial<PipelineOptions> {
  if (variant === 'plain') return {};
  if (variant.startsWith('prior:')) return { prior: variant.slice('prior:'.length) };
  if (variant === 'squared' || variant === 'pairwise') return { candidates: ['gbt'], gbt: { loss: variant === 'pairwise' ? 'pairwise' : 'squared_error' } };
  throw new Error(`unknown variant ${variant}`);
}

const variants = values.variants.split(',');
// The learned methods only, where the variant changes the estimators.
const methodsOf = (variant: string): Method[] => (variant === 'plain' ? methods : methods.filter((m) => !m.direct));
const allBlocks = specBlocks({ methods, pipeline: { prior: 'lc-extrapolate' } });
const started = performance.now();
const table = await buildFeatureTable(await listZoo(zoo), { window, layout: 'per-layer', blocks: [...new Set([...allBlocks, 'curve' as const])] });
console.log(`${zoo}: ${table.runs.length} runs, ${table.columns.length} columns, features in ${((performance.now() - started) / 1000).toFixed(0)} s`);

const fmt = (mean: number, sd: number) => (Number.isNaN(mean) ? '-' : `${mean.toFixed(3)} (${Number.isNaN(sd) ? '-' : sd.toFixed(3)})`);
for (const variant of variants) {
  for (const trainSize of sizes) {
    const rows: string[][] = [];
    const spec = evaluationSpec({ window, seed, methods: methodsOf(variant), pipeline: variantPipeline(variant) });
    const t0 = performance.now();
    const result = await evaluateSubsamples(table, spec, { trainSize, repeats }, { workers });
    for (const m of result.methods) {
      rows.push([String(trainSize), m.name, fmt(m.kendall_tau, m.sd.kendall_tau), fmt(m.learned.kendall_tau, m.learned_sd.kendall_tau), fmt(m.r2, m.sd.r2), String(Math.round(m.n))]);
    }
    console.log(`\n${variant}, N = ${trainSize}: ${repeats} draws (seed ${seed}), window ${values.epochs}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(renderTable(['N', 'method', 'tau', 'tau learned', 'R^2', 'test runs'], rows, ['right', 'left', 'right', 'right', 'right', 'right']));
  }
}
