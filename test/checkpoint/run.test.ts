import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointFileName, listZoo, readRun } from '../../src/checkpoint/run.js';
import { RunFormatError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

const entry = (epoch: number, test_acc: number | null) => ({ epoch, train_loss: 1 / (epoch + 1), train_acc: 0.5, test_loss: null, test_acc });

function makeRun(dir: string, manifest: unknown, checkpoints: string[] = []): string {
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'run.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  for (const name of checkpoints) writeFileSync(join(dir, 'checkpoints', name), '');
  return dir;
}

describe('run directories', () => {
  it('reads history in epoch order, lists checkpoints, and takes the last test_acc as final', async () => {
    const dir = makeRun(
      tempDir(),
      { id: 'r1', config: { lr: 0.1 }, history: [entry(2, 0.9), entry(0, 0.1), entry(1, 0.5)] },
      ['epoch-0000.safetensors', 'epoch-0002.pt', 'epoch-0010.safetensors', 'notes.txt', 'epoch-1.pt'],
    );
    const run = await readRun(dir);
    expect(run.id).toBe('r1');
    expect(run.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    expect(run.finalTestAcc).toBe(0.9);
    expect(run.checkpoints.map((c) => [c.epoch, c.format])).toEqual([
      [0, 'safetensors'],
      [2, 'pytorch'],
      [10, 'safetensors'],
    ]);
  });

  it("keeps each epoch's wall-clock seconds when recorded, and reads histories without them", async () => {
    const dir = makeRun(tempDir(), { id: 'r', config: {}, history: [entry(0, 0.1), { ...entry(1, 0.5), seconds: 2.5 }, { ...entry(2, 0.6), seconds: 0 }] });
    const run = await readRun(dir);
    expect(run.history.map((h) => h.seconds)).toEqual([undefined, 2.5, 0]);
    expect(Object.hasOwn(run.history[0], 'seconds')).toBe(false);
  });

  it('allows a run with no checkpoints folder and an empty history', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ id: 'x', config: {}, history: [] }));
    const run = await readRun(dir);
    expect(run.checkpoints).toEqual([]);
    expect(run.finalTestAcc).toBeNull();
  });

  it('names checkpoint files with four-digit epochs', () => {
    expect(checkpointFileName(3)).toBe('epoch-0003.safetensors');
    expect(checkpointFileName(12345, 'pytorch')).toBe('epoch-12345.pt');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{"id": ', /not valid JSON/],
    ['an array', [], /must hold a JSON object/],
    ['no id', { config: {}, history: [] }, /"id" must be a non-empty string/],
    ['no config', { id: 'a', history: [] }, /"config" must be a JSON object/],
    ['no history', { id: 'a', config: {} }, /"history" must be an array/],
    ['a history entry without test_acc', { id: 'a', config: {}, history: [{ epoch: 0, train_loss: 1, train_acc: 0.1, test_loss: 1 }] }, /history\[0\] is missing "test_acc"/],
    ['a negative epoch', { id: 'a', config: {}, history: [{ ...entry(0, 0.1), epoch: -1 }] }, /history\[0\].epoch must be a non-negative integer/],
    ['a percentage accuracy', { id: 'a', config: {}, history: [entry(0, 97.5)] }, /test_acc = 97.5 is outside \[0, 1\]/],
    ['a string loss', { id: 'a', config: {}, history: [{ ...entry(0, 0.1), train_loss: 'nan' }] }, /train_loss must be a finite number or null/],
    ['negative seconds', { id: 'a', config: {}, history: [{ ...entry(1, 0.1), seconds: -1 }] }, /history\[0\].seconds must be a finite number >= 0 when present, got -1/],
    ['string seconds', { id: 'a', config: {}, history: [{ ...entry(1, 0.1), seconds: '3' }] }, /history\[0\].seconds must be a finite number >= 0/],
    ['a duplicated epoch', { id: 'a', config: {}, history: [entry(1, 0.1), entry(1, 0.2)] }, /epoch 1 twice/],
    ['a bad diverged_at_epoch', { id: 'a', config: {}, history: [], diverged_at_epoch: 'yes' }, /diverged_at_epoch/],
  ];
  for (const [what, manifest, message] of bad) {
    it(`refuses run.json with ${what}`, async () => {
      const dir = makeRun(tempDir(), manifest);
      const error = await readRun(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFormatError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.startsWith(join(dir, 'run.json'))).toBe(true);
    });
  }

  it('refuses a directory without run.json, and two checkpoints for one epoch', async () => {
    await expect(readRun(tempDir())).rejects.toThrow(/run.json: missing/);
    const dir = makeRun(tempDir(), { id: 'a', config: {}, history: [] }, ['epoch-0001.pt', 'epoch-0001.safetensors']);
    await expect(readRun(dir)).rejects.toThrow(/epoch 1 has two checkpoints/);
  });

  it('lists a zoo as its subdirectories holding run.json, in natural order', async () => {
    const zoo = tempDir();
    for (const name of ['run-10', 'run-2', 'run-1']) makeRun(join(zoo, name), { id: name, config: {}, history: [] });
    mkdirSync(join(zoo, 'not-a-run'));
    writeFileSync(join(zoo, 'README'), '');
    expect(await listZoo(zoo)).toEqual(['run-1', 'run-2', 'run-10'].map((n) => join(zoo, n)));
    await expect(listZoo(join(zoo, 'missing'))).rejects.toThrow(/cannot list zoo directory/);
  });

  it('lists symbolic links to run directories (a sub-zoo of links) and skips broken links', async () => {
    const zoo = tempDir();
    for (const name of ['run-1', 'run-2']) makeRun(join(zoo, name), { id: name, config: {}, history: [] });
    const sub = tempDir();
    symlinkSync(join(zoo, 'run-2'), join(sub, 'run-2'));
    symlinkSync(join(zoo, 'gone'), join(sub, 'run-3'));
    symlinkSync(join(zoo, 'run-1', 'run.json'), join(sub, 'file-link'));
    expect(await listZoo(sub)).toEqual([join(sub, 'run-2')]);
  });
});
