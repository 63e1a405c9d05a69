import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GridError, expandGrid, parseGrid, readGrid } from '../../src/zoo/grid.js';
import { tempDir } from '../helpers.js';

const GRID = `# a small grid
config:
  arch: [mlp, lenet5]
  epochs: 4
  optimizer: {choices: [sgd, adam]}
  lr: {log_uniform: [0.001, 0.1]}
  dropout: {uniform: [0, 0.5]}
  hidden: [64, 32]
samples: 3
seeds: 2
sampling_seed: 7
keep_checkpoints: 0-3,last
`;

describe('grid files', () => {
  it('expands choices x samples x seeds, drawing ranges inside their bounds', () => {
    const grid = parseGrid('g.yaml', GRID);
    const runs = expandGrid(grid);
    expect(runs).toHaveLength(2 * 2 * 3 * 2);
    expect(runs[0].id).toBe('run-0000');
    expect(runs.at(-1)?.id).toBe('run-0023');
    for (const { config } of runs) {
      expect(config.lr).toBeGreaterThanOrEqual(0.001);
      expect(config.lr).toBeLessThanOrEqual(0.1);
      expect(config.dropout).toBeLessThanOrEqual(0.5);
      expect(config.epochs).toBe(4);
      expect(config.hidden).toEqual([64, 32]);
    }
    // Seeds repeat one sampled configuration; the next sample differs.
    expect({ ...runs[0].config, seed: 0 }).toEqual({ ...runs[1].config, seed: 0 });
    expect([runs[0].config.seed, runs[1].config.seed]).toEqual([0, 1]);
    expect(runs[2].config.lr).not.toBe(runs[0].config.lr);
    expect(new Set(runs.map((r) => r.config.arch))).toEqual(new Set(['mlp', 'lenet5']));
    expect(grid.keepCheckpoints.text).toBe('0-3,last');
  });

  it('expands the same way every time, and differently for another sampling seed', () => {
    const a = expandGrid(parseGrid('g.yaml', GRID));
    const b = expandGrid(parseGrid('g.yaml', GRID));
    const c = expandGrid(parseGrid('g.yaml', GRID.replace('sampling_seed: 7', 'sampling_seed: 8')));
    expect(a).toEqual(b);
    expect(a.map((r) => r.config.lr)).not.toEqual(c.map((r) => r.config.lr));
  });

  it('expands a list of config blocks one after another, each with its own ranges', () => {
    const text = `config:
  - optimizer: sgd
    arch: [mlp, lenet5]
    lr: {log_uniform: [0.01, 0.1]}
  - optimizer: adam
    arch: mlp
    lr: {log_uniform: [0.0001, 0.001]}
    dropout: 0.25
samples: 3
seeds: 2
`;
    const runs = expandGrid(parseGrid('g.yaml', text));
    expect(runs).toHaveLength((2 + 1) * 3 * 2);
    expect(runs.map((r) => r.id)).toEqual(runs.map((_, i) => `run-${String(i).padStart(4, '0')}`));
    const sgd = runs.slice(0, 12);
    const adam = runs.slice(12);
    expect(sgd.every((r) => r.config.optimizer === 'sgd' && r.config.lr >= 0.01 && r.config.lr <= 0.1 && r.config.dropout === 0)).toBe(true);
    expect(adam.every((r) => r.config.optimizer === 'adam' && r.config.arch === 'mlp' && r.config.lr >= 0.0001 && r.config.lr <= 0.001 && r.config.dropout === 0.25)).toBe(true);
    // The first block expands exactly as it would alone.
    const alone = expandGrid(parseGrid('g.yaml', text.slice(0, text.indexOf('  - optimizer: adam')) + 'samples: 3\nseeds: 2\n'));
    expect(sgd).toEqual(alone);
  });

  const errors: [string, string, RegExp][] = [
    ['bad YAML', 'config:\n  arch: [mlp,\n', /^g\.yaml:\d+: invalid YAML/],
    ['an unknown setting', 'config:\n  arch: mlp\n  learning_rate: 0.1\n', /^g\.yaml:3: unknown setting "learning_rate"/],
    ['a value out of range', 'config:\n  arch: mlp\n  lr: [0.1, -1]\n', /^g\.yaml:3: lr: must be > 0, got -1/],
    ['a wrong choice', 'config:\n  arch: mlp\n  optimizer: rmsprop\n', /^g\.yaml:3: optimizer: expected one of sgd, adam/],
    ['a range on an integer', 'config:\n  arch: mlp\n  epochs: {uniform: [1, 5]}\n', /^g\.yaml:3: epochs: ranges are only for real-valued settings/],
    ['reversed bounds', 'config:\n  arch: mlp\n  lr: {log_uniform: [0.1, 0.01]}\n', /^g\.yaml:3: lr: log_uniform needs low < high/],
    ['a missing architecture', 'config:\n  epochs: 3\n', /^g\.yaml:1: arch: is required/],
    ['an unknown top-level key', 'config:\n  arch: mlp\nworkers: 4\n', /^g\.yaml:3: unknown top-level key "workers"/],
    ['no config', 'seeds: 3\n', /missing "config"/],
    ['bad seeds', 'config:\n  arch: mlp\nseeds: [1, -2]\n', /^g\.yaml:3: seeds: expected/],
    ['samples without ranges', 'config:\n  arch: mlp\nsamples: 4\n', /^g\.yaml:3: samples > 1 needs/],
    ['a bad checkpoint policy', 'config:\n  arch: mlp\nkeep_checkpoints: first\n', /^g\.yaml:3: keep_checkpoints: expected a comma-separated list of epochs \(3\), ranges \(0-3\) and all, last; got "first"/],
    ['an impossible architecture', 'config:\n  arch: resnet\n  depth: 9\n', /^g\.yaml:3: depth: resnet depth must be 6n\+2/],
    ['a seed in config', 'config:\n  arch: mlp\n  seed: 3\n', /^g\.yaml:3: give seeds with the top-level "seeds" key/],
    ['a bad value in the second block', 'config:\n  - arch: mlp\n  - arch: mlp\n    optimizer: rmsprop\n', /^g\.yaml:4: optimizer: expected one of sgd, adam/],
    ['a block missing its architecture', 'config:\n  - arch: mlp\n  - epochs: 3\n', /^g\.yaml:3: arch: is required/],
    ['a block without ranges when sampling', 'config:\n  - arch: mlp\n    lr: {uniform: [0.01, 0.1]}\n  - arch: lenet5\nsamples: 2\n', /^g\.yaml:4: samples > 1 needs .* in every config block/],
    ['a list that is not of mappings', 'config:\n  - arch: mlp\n  - 3\n', /^g\.yaml:2: missing "config" mapping/],
  ];
  for (const [what, text, message] of errors) {
    it(`names the line of ${what}`, () => {
      const error = (() => {
        try {
          parseGrid('g.yaml', text);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(GridError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }

  it('reads a grid from disk and names a missing file', async () => {
    const file = join(tempDir(), 'grid.yaml');
    writeFileSync(file, GRID);
    expect(expandGrid(await readGrid(file))).toHaveLength(24);
    await expect(readGrid(join(tempDir(), 'none.yaml'))).rejects.toThrow(/none\.yaml: cannot read \(ENOENT\)/);
  });
});
