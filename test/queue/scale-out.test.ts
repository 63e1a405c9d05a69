import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/checkpoint/open.js';
import { reproducibleBytes, tempDir } from '../helpers.js';
import { HAVE_REDIS, startRedis } from './redis.js';
import type { RedisServer } from './redis.js';

// Twelve runs of about a second each: long enough to kill a worker in the middle of one.
const GRID = `config:
  arch: mlp
  hidden: [16]
  epochs: 4
  train_limit: 4000
  lr: [0.02, 0.05, 0.1, 0.2, 0.3, 0.5]
seeds: 2
keep_checkpoints: all
`;

const CLI = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Runs the built CLI without blocking the event loop; resolves with its exit code and output. */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

interface WorkerEvent {
  type: string;
  kind?: string;
  job?: string;
  attempt?: number;
  resumedFromEpoch?: number;
}

/** Every worker a test started, stopped after each test even when an assertion failed. */
const started: ChildProcess[] = [];

/** A running `epochgraph worker --json`, its events so far, and a callback per event. */
function startWorker(url: string, onEvent: (event: WorkerEvent) => void = () => undefined): { child: ChildProcess; events: WorkerEvent[]; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--json', '--lock-seconds', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: WorkerEvent[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const event = JSON.parse(line) as WorkerEvent;
      events.push(event);
      onEvent(event);
    }
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  started.push(child);
  return { child, events, exited };
}

interface Status {
  done: number;
  failed: number;
  queued: number;
  running: number;
  failures: { id: string; message: string }[];
}

/** Polls `zoo ZOO --status --json` until nothing is queued or running (or `timeoutMs` passes). */
async function settledStatus(zoo: string, url: string, timeoutMs = 90_000): Promise<Status> {
  let status: Status = { done: 0, failed: 0, queued: 1, running: 0, failures: [] };
  for (let waited = 0; waited < timeoutMs && status.queued + status.running > 0; waited += 500) {
    await sleep(500);
    status = JSON.parse((await cli(['zoo', zoo, '--status', '--queue', url, '--json'])).stdout);
  }
  return status;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.skipIf(!HAVE_REDIS && !process.env.CI)('zoo on a Redis queue', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => {
    // SIGKILL: a worker whose test failed may be waiting on a job; the test's Redis goes next.
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('3 workers, one SIGKILLed mid-run: every run completes exactly once and equals the in-process zoo', async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    writeFileSync(grid, GRID);
    const whole = join(dir, 'in-process');
    const queued = join(dir, 'queued');
    expect((await cli(['zoo', grid, '--out', whole, '--workers', '2', '--quiet'])).code).toBe(0);

    const first = await cli(['zoo', grid, '--out', queued, '--queue', redis.url, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ total: 12, added: 12, alreadyQueued: 0, done: 0 });
    const second = JSON.parse((await cli(['zoo', grid, '--out', queued, '--queue', redis.url, '--json'])).stdout);
    expect(second).toMatchObject({ total: 12, added: 0, alreadyQueued: 12 });
    expect(JSON.parse((await cli(['zoo', queued, '--status', '--queue', redis.url, '--json'])).stdout)).toMatchObject({ total: 12, done: 0, queued: 12, running: 0 });

    // The victim is killed once its first run has written the checkpoint of epoch 2 (so its state after
    // epoch 1 is saved) and no run.json yet.
    let killedRun: string | undefined;
    let killedMidRun = false;
    const victim = startWorker(redis.url, (event) => {
      if (event.type !== 'start' || killedRun !== undefined) return;
      killedRun = event.job as string;
      const watch = setInterval(() => {
        if (!existsSync(join(killedRun as string, 'checkpoints', 'epoch-0002.safetensors'))) return;
        clearInterval(watch);
        killedMidRun = !existsSync(join(killedRun as string, 'run.json'));
        victim.child.kill('SIGKILL');
      }, 5);
    });
    await sleep(500);
    const survivors = [startWorker(redis.url), startWorker(redis.url)];
    await victim.exited;
    expect(killedMidRun).toBe(true);

    expect(await settledStatus(queued, redis.url)).toMatchObject({ done: 12, failed: 0, queued: 0, running: 0 });

    // Features through the same workers equal the in-process table; a second pass only reads the cache.
    const viaQueue = join(dir, 'queue.csv');
    const extracted = await cli(['features', queued, '--epochs', '0-2', '--out', viaQueue, '--queue', redis.url]);
    expect(extracted.code).toBe(0);
    expect(extracted.stderr).toMatch(/12 runs, 0 cached, 12 on the queue/);
    const again = await cli(['features', queued, '--epochs', '0-2', '--out', join(dir, 'again.csv'), '--queue', redis.url]);
    expect(again.stderr).toMatch(/12 runs, 12 cached, 0 on the queue/);
    const inProcess = join(dir, 'in-process.csv');
    expect((await cli(['features', queued, '--epochs', '0-2', '--out', inProcess, '--quiet'])).code).toBe(0);
    expect(readFileSync(viaQueue, 'utf8')).toBe(readFileSync(inProcess, 'utf8'));
    expect(readFileSync(join(dir, 'again.csv'), 'utf8')).toBe(readFileSync(inProcess, 'utf8'));
    // The index loads the cached features: one row per run and feature column of the table.
    const featureColumns = readFileSync(inProcess, 'utf8').split('\n')[0].split(',').length - 5;
    expect((await cli(['index', queued, '--quiet'])).code).toBe(0);
    const indexed = await cli(['query', queued, "SELECT count(DISTINCT run) AS runs, count(*) AS n FROM features WHERE epoch_window = '0-2' AND layout = 'per-layer'", '--json']);
    expect(JSON.parse(indexed.stdout)).toEqual([{ runs: 12, n: 12 * featureColumns }]);

    for (const survivor of survivors) survivor.child.kill('SIGTERM');
    await Promise.all(survivors.map((s) => s.exited));

    // Exactly once: twelve completions of twelve different runs, none by the victim; the
    // victim's run was taken over (a second attempt) after its lock expired.
    const trainDone = survivors.flatMap((s) => s.events).filter((e) => e.type === 'done' && e.kind === 'train');
    expect(trainDone).toHaveLength(12);
    expect(new Set(trainDone.map((e) => e.job)).size).toBe(12);
    expect(victim.events.filter((e) => e.type === 'done')).toHaveLength(0);
    const takeover = survivors.flatMap((s) => s.events).filter((e) => e.type === 'start' && e.kind === 'train' && e.job === killedRun);
    expect(takeover).toEqual([expect.objectContaining({ attempt: 2 })]);
    // ... and continued after the last epoch the victim completed (at least epoch 1), not from scratch.
    const resumed = trainDone.find((e) => e.job === killedRun);
    expect(resumed?.resumedFromEpoch).toBeGreaterThanOrEqual(1);
    expect(resumed?.resumedFromEpoch).toBeLessThan(4);
    for (const e of trainDone.filter((d) => d.job !== killedRun)) expect(e.resumedFromEpoch).toBeUndefined();

    const runs = readdirSync(whole).filter((name) => name.startsWith('run-'));
    expect(runs).toHaveLength(12);
    for (const run of runs) {
      expect(reproducibleBytes(join(queued, run, 'run.json')).equals(reproducibleBytes(join(whole, run, 'run.json')))).toBe(true);
      const checkpoints = readdirSync(join(whole, run, 'checkpoints'));
      expect(readdirSync(join(queued, run, 'checkpoints'))).toEqual(checkpoints);
      for (const name of checkpoints) {
        const file = join(queued, run, 'checkpoints', name);
        expect((await readCheckpoint(file)).tensors.length).toBeGreaterThan(0);
        expect(readFileSync(file)).toEqual(readFileSync(join(whole, run, 'checkpoints', name)));
      }
    }
  }, 240_000);

  it('retries a failing run with back-off, then marks it failed with its error; enqueuing again retries it', async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    writeFileSync(grid, GRID.replace('lr: [0.02, 0.05, 0.1, 0.2, 0.3, 0.5]', 'lr: [0.02, 0.05]').replace('seeds: 2', 'seeds: 1').replace('train_limit: 4000', 'train_limit: 500'));
    const zoo = join(dir, 'zoo');
    // A directory where run-0001's run.json should go: training it ends in a filesystem error.
    mkdirSync(join(zoo, 'run-0001', 'run.json'), { recursive: true });
    expect((await cli(['zoo', grid, '--out', zoo, '--queue', redis.url, '--attempts', '2', '--quiet'])).code).toBe(0);
    const worker = startWorker(redis.url);
    const status = await settledStatus(zoo, redis.url);
    expect(status).toMatchObject({ done: 1, failed: 1, queued: 0, running: 0 });
    expect(status.failures).toEqual([{ id: 'run-0001', message: expect.stringMatching(/run-0001/) }]);
    const failures = worker.events.filter((e) => e.type === 'failed');
    expect(failures.map((e) => (e as { willRetry?: boolean }).willRetry)).toEqual([true, false]);

    const human = await cli(['zoo', zoo, '--status', '--queue', redis.url]);
    expect(human.stdout).toMatch(/1\/2 runs done .* 0 queued, 0 running, 1 failed, 0 not queued\n {2}run-0001: failed: /);
    rmSync(join(zoo, 'run-0001', 'run.json'), { recursive: true });
    const again = JSON.parse((await cli(['zoo', grid, '--out', zoo, '--queue', redis.url, '--json'])).stdout);
    expect(again).toMatchObject({ total: 2, done: 1, added: 0, retried: 1 });
    expect(await settledStatus(zoo, redis.url)).toMatchObject({ done: 2, failed: 0 });
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 120_000);
});
