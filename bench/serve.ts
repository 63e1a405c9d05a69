/**
 * Load test of `epochgraph serve`, on loopback only: `--clients` concurrent training loops
 * (50) upload LeNet-5 checkpoints (3-channel 32x32 input, 62k parameters, 248 kB each) with
 * their metrics for `--seconds` (30). Each loop uploads the epochs 0-4 of one run after the
 * other, as a sweep's workers would; the model's window is 0-2, so every fifth upload
 * completes a window and queues a feature extraction. Afterwards the service is stopped with
 * SIGTERM and every stored checkpoint is read back and compared with the bytes sent.
 *
 * Printed from the same run: requests answered, failures (any answer but 201), throughput,
 * p50/p99 latency, and the same figures for the peer, a bare Fastify server that writes each
 * body atomically and does nothing else (no validation, no run.json, no prediction): the
 * floor of what storing an upload costs on this machine.
 *
 * The LeNet zoo the model is fitted on (8 runs of 4 epochs on the `shapes` dataset) is
 * trained once and kept under the system's temporary folder.
 *
 * Usage: npm run bench:serve [-- --clients 50 --seconds 30]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCheckpoint } from '../src/checkpoint/open.js';
import { listZoo, readRun } from '../src/checkpoint/run.js';
import { resolveConfig } from '../src/train/config.js';
import { trainRun } from '../src/train/train.js';
import { median, printComparison } from './report.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '50' }, seconds: { type: 'string', default: '30' } } });
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const EPOCHS = 4;
const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'dist', 'cli', 'main.js');
const cache = join(tmpdir(), 'epochgraph-bench-serve-v1');
const zoo = join(cache, 'zoo');
const modelFile = join(cache, 'model.json');

/** Trains the LeNet zoo and fits the model, once. */
async function ensureModel(): Promise<void> {
  if (existsSync(modelFile)) return;
  for (const [i, lr] of [0.003, 0.01, 0.03, 0.1].entries()) {
    for (const seed of [0, 1]) {
      const out = join(zoo, `lenet-${i}-${seed}`);
      if (!existsSync(join(out, 'run.json'))) await trainRun(resolveConfig({ arch: 'lenet5', dataset: 'shapes', epochs: EPOCHS, lr, seed, batch_size: 64, train_limit: 512 }), { out });
    }
  }
  await run(['fit', zoo, '--epochs', '0-2', '--folds', '4', '--out', modelFile, '--quiet']);
}

/** Runs the CLI to completion; rejects on a non-zero exit. */
function run(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`epochgraph ${args[0]} exited with ${code}`))));
  });
}

/** Starts a server process; resolves with it and its address once it prints `http://...`. */
function startServer(command: string[]): Promise<{ child: ChildProcess; base: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, command, { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match) resolvePromise({ child, base: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${text}`)));
  });
}

/** Stops a server with SIGTERM. Resolves with its exit code. */
function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolvePromise) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolvePromise(code));
    child.kill('SIGTERM');
  });
}

interface Upload {
  readonly run: string;
  readonly epoch: number;
  readonly source: string;
  readonly status: number;
  readonly ms: number;
}

/** `CLIENTS` loops uploading runs epoch by epoch to `base` for `SECONDS`. Returns every upload. */
async function load(base: string, sources: readonly string[]): Promise<Upload[]> {
  const bytes = new Map<string, Uint8Array>();
  const metrics = new Map<string, string>();
  for (const source of sources) {
    const history = JSON.parse(readFileSync(join(source, 'run.json'), 'utf8')).history as Record<string, number>[];
    for (let epoch = 0; epoch <= EPOCHS; epoch++) {
      bytes.set(`${source}/${epoch}`, readFileSync(join(source, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}.safetensors`)));
      const h = history.find((e) => e.epoch === epoch) as Record<string, number>;
      metrics.set(`${source}/${epoch}`, new URLSearchParams({ train_loss: String(h.train_loss), train_acc: String(h.train_acc), test_loss: String(h.test_loss), test_acc: String(h.test_acc), ...(h.seconds === undefined ? {} : { seconds: String(h.seconds) }), ...(epoch === EPOCHS ? { final: 'true' } : {}) }).toString());
    }
  }
  const uploads: Upload[] = [];
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let k = 0; performance.now() < end; k++) {
        const source = sources[(client + k) % sources.length];
        const name = `c${client}-r${k}`;
        for (let epoch = 0; epoch <= EPOCHS && performance.now() < end; epoch++) {
          const key = `${source}/${epoch}`;
          const started = performance.now();
          let status: number;
          try {
            const response = await fetch(`${base}/v1/runs/${name}/epochs/${epoch}?${metrics.get(key)}`, {
              method: 'PUT',
              headers: { 'content-type': 'application/x-safetensors' },
              body: bytes.get(key) as Uint8Array<ArrayBuffer>,
            });
            await response.arrayBuffer();
            status = response.status;
          } catch {
            status = -1;
          }
          uploads.push({ run: name, epoch, source, status, ms: performance.now() - started });
        }
      }
    }),
  );
  return uploads;
}

function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function summary(label: string, uploads: readonly Upload[]): { throughput: number; p50: number; p99: number; failed: number } {
  const ok = uploads.filter((u) => u.status === 201);
  const latencies = uploads.map((u) => u.ms).sort((a, b) => a - b);
  const figures = { throughput: ok.length / SECONDS, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed: uploads.length - ok.length };
  const statuses = [...new Set(uploads.map((u) => u.status))].map((s) => `${s}: ${uploads.filter((u) => u.status === s).length}`).join(', ');
  console.log(`${label}: ${uploads.length} uploads in ${SECONDS} s (${statuses}); ${figures.throughput.toFixed(1)} stored/s; latency p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms, median ${median(latencies).toFixed(1)} ms`);
  return figures;
}

/** Reads back every stored upload; returns the problems found (none expected). */
async function verify(data: string, uploads: readonly Upload[]): Promise<string[]> {
  const problems: string[] = [];
  const stored = uploads.filter((u) => u.status === 201);
  const byRun = new Map<string, Upload[]>();
  for (const u of stored) byRun.set(u.run, [...(byRun.get(u.run) ?? []), u]);
  const runs = await listZoo(data);
  if (runs.length !== byRun.size) problems.push(`${runs.length} run directories for ${byRun.size} runs uploaded`);
  const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  let checked = 0;
  for (const [name, list] of byRun) {
    const run = await readRun(join(data, name));
    if (run.checkpoints.length !== list.length) problems.push(`${name}: ${run.checkpoints.length} checkpoints for ${list.length} uploads`);
    if (run.history.length !== list.length) problems.push(`${name}: ${run.history.length} history entries for ${list.length} uploads`);
    for (const u of list) {
      const file = join(data, name, 'checkpoints', `epoch-${String(u.epoch).padStart(4, '0')}.safetensors`);
      const sent = readFileSync(join(u.source, 'checkpoints', `epoch-${String(u.epoch).padStart(4, '0')}.safetensors`));
      if (digest(readFileSync(file)) !== digest(sent)) problems.push(`${file}: not the bytes sent`);
      await readCheckpoint(file);
      checked++;
    }
  }
  const leftovers = readdirSync(data, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+-/.test(f) || f.startsWith('.incoming/'));
  if (leftovers.length > 0) problems.push(`temporary files left: ${leftovers.slice(0, 3).join(', ')}`);
  console.log(`verified: ${checked} stored checkpoints read back whole and equal to the bytes sent, in ${byRun.size} runs`);
  return problems;
}

await ensureModel();
const sources = await listZoo(zoo);
const size = readFileSync(join(sources[0], 'checkpoints', 'epoch-0000.safetensors')).byteLength;
console.log(`${CLIENTS} clients, ${SECONDS} s each, LeNet-5 checkpoints of ${(size / 1024).toFixed(0)} KiB, loopback`);

const data = mkdtempSync(join(tmpdir(), 'epochgraph-bench-serve-data-'));
const ours = await startServer([CLI, 'serve', '--model', modelFile, '--data', data, '--port', '0', '--queue', String(CLIENTS)]);
const uploads = await load(ours.base, sources);
const metricsText = await (await fetch(`${ours.base}/metrics`)).text();
const code = await stopServer(ours.child);
const served = summary('epochgraph serve', uploads);
const predictions = /^epochgraph_predictions_total (\d+)$/m.exec(metricsText)?.[1];
console.log(`  runs predicted: ${predictions}; server exit code after SIGTERM: ${code}`);
const problems = await verify(data, uploads);
rmSync(data, { recursive: true, force: true });

const peerData = mkdtempSync(join(tmpdir(), 'epochgraph-bench-serve-peer-'));
const peer = await startServer(['--import', 'tsx', join(root, 'bench', 'peers', 'bare-upload-server.ts'), peerData]);
const peerUploads = await load(peer.base, sources);
await stopServer(peer.child);
const bare = summary('bare Fastify, atomic write only', peerUploads);
rmSync(peerData, { recursive: true, force: true });

printComparison('stored uploads per second', { name: 'epochgraph serve', value: served.throughput, unit: '/s' }, [['bare Fastify, atomic write only', bare.throughput, '/s']], 'higher');
printComparison('p50 latency', { name: 'epochgraph serve', value: served.p50, unit: 'ms' }, [['bare Fastify, atomic write only', bare.p50, 'ms']], 'lower');
printComparison('p99 latency', { name: 'epochgraph serve', value: served.p99, unit: 'ms' }, [['bare Fastify, atomic write only', bare.p99, 'ms']], 'lower');
if (served.failed > 0 || problems.length > 0 || code !== 0) {
  console.log(`\nFAILED: ${served.failed} uploads not stored; ${problems.join('; ')}`);
  process.exitCode = 1;
} else console.log('\nno upload lost or failed; every stored checkpoint valid');
