/**
 * The service's storage and queue on their own: a PyTorch upload stored as .pt in a zoo,
 * diverged losses, a data directory reopened, and the queue's bounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/checkpoint/run.js';
import { BoundedQueue } from '../../src/service/queue.js';
import { RunStore, parseMetrics } from '../../src/service/store.js';
import type { EpochMetrics } from '../../src/service/store.js';
import { tempDir } from '../helpers.js';

const CNN = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'pytorch', 'cnn.pt'));
const NONE: EpochMetrics = { train_loss: null, train_acc: null, test_loss: null, test_acc: null };

describe('RunStore', () => {
  it('stores a PyTorch upload as epoch-NNNN.pt, records divergence, and is read back when reopened', async () => {
    const dir = tempDir();
    const store = await RunStore.open(dir);
    const put = (epoch: number, metrics = NONE) => store.withRun('cnn', () => store.putEpoch({ run: 'cnn', epoch, format: 'pytorch', bytes: CNN, metrics }));
    expect((await put(0, { ...NONE, test_acc: 0.1 })).outcome).toBe('stored');
    expect((await put(3, parseMetrics({ train_loss: 'nan', test_acc: '0.1', seconds: '12.5' }))).outcome).toBe('stored');
    const run = await readRun(join(dir, 'cnn'));
    expect(run.checkpoints.map((c) => [c.epoch, c.format, c.path.endsWith('.pt')])).toEqual([[0, 'pytorch', true], [3, 'pytorch', true]]);
    expect(run.history.map((h) => [h.epoch, h.train_loss, h.test_acc])).toEqual([[0, null, 0.1], [3, null, 0.1]]);
    expect(run.diverged_at_epoch).toBe(3);
    expect(run.history.map((h) => h.seconds)).toEqual([undefined, 12.5]);
    await store.withRun('cnn', () => store.setState('cnn', { pruned: true }));
    const reopened = await RunStore.open(dir);
    expect(reopened.list().map((r) => [r.name, r.state.pruned, r.run.checkpoints.length])).toEqual([['cnn', true, 2]]);
    expect((await reopened.withRun('cnn', () => reopened.putEpoch({ run: 'cnn', epoch: 0, format: 'pytorch', bytes: CNN, metrics: { ...NONE, test_acc: 0.1 } }))).outcome).toBe('unchanged');
  });

  it('serialises the uploads of one run: concurrent epochs all reach run.json', async () => {
    const dir = tempDir();
    const store = await RunStore.open(dir);
    await Promise.all(Array.from({ length: 12 }, (_, epoch) => store.withRun('r', () => store.putEpoch({ run: 'r', epoch, format: 'pytorch', bytes: CNN, metrics: NONE }))));
    expect((await readRun(join(dir, 'r'))).history.map((h) => h.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});

describe('BoundedQueue', () => {
  it('runs at most `concurrency` tasks and refuses a reservation beyond its capacity', async () => {
    const queue = new BoundedQueue({ concurrency: 1, capacity: 2 });
    const releases: (() => void)[] = [];
    const tickets = [queue.reserve(), queue.reserve(), queue.reserve()];
    expect(tickets.every((t) => t !== undefined)).toBe(true);
    expect(queue.reserve()).toBeUndefined();
    let active = 0;
    let peak = 0;
    const done = tickets.map((t) =>
      t?.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => releases.push(resolve));
        active--;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(queue.depth).toEqual({ waiting: 2, running: 1 });
    expect(queue.reserve()).toBeUndefined();
    while (releases.length > 0 || active > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(done);
    expect(peak).toBe(1);
    expect(queue.depth).toEqual({ waiting: 0, running: 0 });
    const unused = queue.reserve();
    unused?.release();
    unused?.release();
    expect(queue.depth).toEqual({ waiting: 0, running: 0 });
  });
});
