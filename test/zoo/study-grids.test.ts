/**
 * The grid files of the study (examples/study, docs/RESULTS.md "Study design"): every
 * architecture x dataset cell and every width-transfer zoo is a valid grid of at least
 * 120 runs over the settings the study varies, and a width-transfer zoo draws the same
 * hyperparameters as the zoo it is compared with, differing only in width.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid, readGrid } from '../../src/zoo/grid.js';
import type { PlannedRun } from '../../src/zoo/grid.js';

const STUDY = resolve(import.meta.dirname, '..', '..', 'examples', 'study');
const plan = async (name: string) => expandGrid(await readGrid(join(STUDY, name)));
/** What a run varies apart from the width. */
const draws = (runs: PlannedRun[]) => runs.map(({ config }) => [config.optimizer, config.init, config.lr, config.dropout, config.weight_decay]);

describe('the study grids', () => {
  it('cover four architectures x two datasets, 120 runs each, over every setting the study varies', async () => {
    const cells: string[] = [];
    for (const arch of ['lenet5', 'vgg', 'alexnet', 'resnet8']) {
      for (const dataset of ['mnist', 'fashion-mnist']) {
        const runs = await plan(`${arch}-${dataset}.yaml`);
        expect(runs.length).toBeGreaterThanOrEqual(120);
        expect(new Set(runs.map((r) => r.config.dataset))).toEqual(new Set([dataset]));
        cells.push(`${runs[0].config.arch}/${runs[0].config.dataset}`);
        for (const key of ['lr', 'dropout', 'weight_decay'] as const) expect(new Set(runs.map((r) => r.config[key])).size).toBeGreaterThan(100);
        expect(new Set(runs.map((r) => r.config.optimizer))).toEqual(new Set(['sgd', 'adam']));
        expect(new Set(runs.map((r) => r.config.init)).size).toBe(3);
      }
    }
    expect(new Set(cells).size).toBe(8);
  });

  it('repeat the draws of a cell at a narrow and a wide width for two convolutional architectures', async () => {
    for (const arch of ['lenet5', 'vgg']) {
      const base = await plan(`${arch}-fashion-mnist.yaml`);
      for (const size of ['narrow', 'wide']) {
        const runs = await plan(`${arch}-${size}-fashion-mnist.yaml`);
        expect(draws(runs)).toEqual(draws(base));
        const width = runs[0].config.width;
        expect(runs.every((r) => r.config.width === width)).toBe(true);
        if (size === 'narrow') expect(width).toBeLessThan(base[0].config.width);
        else expect(width).toBeGreaterThan(base[0].config.width);
      }
    }
    expect(readdirSync(STUDY).filter((f) => f.endsWith('.yaml'))).toHaveLength(12);
  });
});
