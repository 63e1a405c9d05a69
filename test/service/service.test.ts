/**
 * The live pruning service over HTTP on loopback, with a model fitted on a tiny zoo: the
 * full flow of a training loop, then every kind of bad request, each answered with a
 * clear 4xx (or idempotently), nothing half-stored, the service still serving.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpochgraphClient, ServiceRequestError } from '../../src/client/index.js';
import { listZoo, readRun } from '../../src/checkpoint/run.js';
import { METHODS, blocksOf } from '../../src/predict/evaluate-methods.js';
import { evaluationSpec, zooFeatureTable } from '../../src/predict/evaluation.js';
import { writeModelFile } from '../../src/predict/model-file.js';
import type { ModelFile } from '../../src/predict/model-file.js';
import { fitModel } from '../../src/predict/model-fit.js';
import { predictRuns } from '../../src/predict/model-use.js';
import { parsePolicy } from '../../src/prune/policies.js';
import { createService } from '../../src/service/server.js';
import type { Service } from '../../src/service/server.js';
import { resolveConfig } from '../../src/train/config.js';
import { trainRun } from '../../src/train/train.js';
import { brightnessDataset, listFiles, rawSafetensors, runCli, tempDir, temporaries } from '../helpers.js';

const EPOCHS = 4;
let model: ModelFile;
/** Runs trained offline, uploaded epoch by epoch: `live-*` of the zoo's architecture, `wide` of another. */
const live: string[] = [];
let wide: string;

beforeAll(async () => {
  const zoo = tempDir();
  const dataset = brightnessDataset(160, { seed: 3, contrast: 0.3, testCount: 200 });
  const train = (out: string, lr: number, seed: number, hidden = [8]) => trainRun(resolveConfig({ arch: 'mlp', hidden, epochs: EPOCHS, lr, seed, batch_size: 16 }), { out, dataset });
  for (const [i, lr] of [0.001, 0.003, 0.01, 0.03, 0.1, 0.3].entries()) for (const seed of [0, 1]) await train(join(zoo, `run-${i}-${seed}`), lr, seed);
  const spec = evaluationSpec({ window: [0, 1, 2], folds: 3, methods: METHODS.filter((m) => m.name === 'graph+curve') });
  ({ model } = await fitModel(await zooFeatureTable([zoo], spec, blocksOf(spec.methods)), spec));
  const elsewhere = tempDir();
  for (const [i, lr] of [0.002, 0.02, 0.2].entries()) {
    live.push(join(elsewhere, `live-${i}`));
    await train(live[i], lr, 7);
  }
  wide = join(elsewhere, 'wide');
  await train(wide, 0.01, 0, [8, 8]);
}, 240_000);

/** The checkpoint bytes of epoch `epoch` of a trained run. */
function checkpointOf(runDir: string, epoch: number): Uint8Array {
  return readFileSync(join(runDir, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}.safetensors`));
}

/** The metrics of epoch `epoch` of a trained run (with the seconds it took), as query parameters. */
function metricsOf(runDir: string, epoch: number): Record<string, string> {
  const entry = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).history.find((h: { epoch: number }) => h.epoch === epoch);
  return Object.fromEntries(['train_loss', 'train_acc', 'test_loss', 'test_acc', 'seconds'].filter((k) => entry[k] !== undefined).map((k) => [k, String(entry[k])]));
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function send(base: string, method: string, path: string, init: { body?: BodyInit; type?: string; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.type) headers['content-type'] = init.type;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${base}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith('{') ? JSON.parse(text) : { text } };
}

/** Uploads epoch `epoch` of `runDir` as run `name` (raw safetensors body, metrics in the query). */
function upload(base: string, name: string, runDir: string, epoch: number, extra: { token?: string; final?: boolean } = {}): Promise<Answer> {
  const query = new URLSearchParams({ ...metricsOf(runDir, epoch), ...(extra.final ? { final: 'true' } : {}) });
  return send(base, 'PUT', `/v1/runs/${name}/epochs/${epoch}?${query}`, { body: new Blob([checkpointOf(runDir, epoch) as Uint8Array<ArrayBuffer>]), type: 'application/x-safetensors', ...extra });
}

async function start(options: Partial<Parameters<typeof createService>[0]> = {}): Promise<{ service: Service; base: string; data: string }> {
  const data = tempDir();
  const service = await createService({ model, dataDir: data, policy: parsePolicy('graph:k=1'), ...options });
  const base = await service.listen(0, '127.0.0.1');
  return { service, base, data };
}

describe('epochgraph serve: the full flow', () => {
  let service: Service;
  let base: string;
  let data: string;
  beforeAll(async () => ({ service, base, data } = await start()));
  afterAll(() => service.close());

  it('stores every epoch as a zoo, answers "window incomplete" before the window and the prediction after it', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answers: Answer[] = [];
    for (let epoch = 0; epoch <= EPOCHS; epoch++) answers.push(await upload(base, 'live-0', live[0], epoch, { final: epoch === EPOCHS }));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(answers[0].body).toEqual({ prune: false, reason: 'window incomplete' });
    expect(answers[1].body).toEqual({ prune: false, reason: 'window incomplete' });
    // The prediction is the one `epochgraph predict` makes of the same run offline.
    const [offline] = (await predictRuns(model, [live[0]])).predictions;
    for (const answer of answers.slice(2)) {
      expect(Object.keys(answer.body)).toEqual(['predicted', 'lower', 'upper', 'prune', 'reason']);
      expect(answer.body.predicted).toBe(offline.predicted);
      expect(answer.body.lower).toBe(offline.lower);
      expect(answer.body.upper).toBe(offline.upper);
      // The first run has no other run to compare with: k=1 needs one.
      expect(answer.body.prune).toBe(false);
      expect(typeof answer.body.reason).toBe('string');
    }
    // The data directory is a zoo epochgraph reads: the same checkpoints, the same history.
    const runs = await listZoo(data);
    expect(runs).toEqual([join(data, 'live-0')]);
    const stored = await readRun(runs[0]);
    const original = await readRun(live[0]);
    expect(stored.history).toEqual(original.history);
    expect(stored.checkpoints.map((c) => c.epoch)).toEqual([0, 1, 2, 3, 4]);
    for (const c of stored.checkpoints) expect(Buffer.from(await readFile(c.path)).equals(Buffer.from(checkpointOf(live[0], c.epoch)))).toBe(true);
    expect((await predictRuns(model, runs)).predictions[0].predicted).toBe(offline.predicted);
    expect(temporaries(data)).toEqual([]);
  });

  it('decides with the policy over the runs it has seen: a run predicted below the best finished one is stopped', async () => {
    // live-0 finished (its last upload said final); the graph policy with k=1 stops a run whose upper bound is below its final accuracy.
    const { predictions } = await predictRuns(model, [live[1], live[2]]);
    const final0 = (await readRun(live[0])).finalTestAcc as number;
    for (const [i, name] of ['live-1', 'live-2'].entries()) {
      let answer: Answer | undefined;
      for (let epoch = 0; epoch <= 2; epoch++) answer = await upload(base, name, live[i + 1], epoch);
      expect(answer?.body.predicted).toBe(predictions[i].predicted);
      expect(answer?.body.prune).toBe(predictions[i].upper < final0);
    }
    const listing = await send(base, 'GET', '/v1/runs');
    expect(listing.status).toBe(200);
    const runs = listing.body.runs as { run: string; state: string; prediction: unknown; window_complete: boolean }[];
    expect(runs.map((r) => r.run)).toEqual(['live-0', 'live-1', 'live-2']);
    expect(runs[0].state).toBe('finished');
    expect(runs.every((r) => r.window_complete && r.prediction !== null)).toBe(true);
    const one = await send(base, 'GET', '/v1/runs/live-1');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ run: 'live-1', epochs: [0, 1, 2], last_epoch: 2 });
    expect((one.body.history as unknown[]).length).toBe(3);
    expect((await send(base, 'GET', '/v1/runs/nobody')).status).toBe(404);
  });

  it('takes the checkpoint and a JSON metrics part with the config in a form (the client), and .pt by content type', async () => {
    const client = new EpochgraphClient({ url: base });
    const config = { arch: 'mlp', lr: 0.002, epochs: EPOCHS };
    const first = await client.putEpoch('form-run', 0, checkpointOf(live[0], 0), { metrics: { test_acc: 0.5, train_loss: 0.7 }, config });
    expect(first).toEqual({ prune: false, reason: 'window incomplete' });
    const stored = await readRun(join(data, 'form-run'));
    expect(stored.config).toEqual(config);
    expect(stored.history).toEqual([{ epoch: 0, train_loss: 0.7, train_acc: null, test_loss: null, test_acc: 0.5 }]);
    // A config that differs from the stored one is refused.
    await expect(client.putEpoch('form-run', 1, checkpointOf(live[0], 1), { config: { ...config, lr: 1 } })).rejects.toMatchObject({ status: 409, code: 'config_conflict' });
    // A PyTorch file is read as one (here a CNN the model does not know: its layers are listed) and refused.
    const cnn = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'pytorch', 'cnn.pt'));
    await expect(client.putEpoch('torch-run', 0, cnn, { format: 'pytorch' })).rejects.toMatchObject({ status: 422, code: 'architecture_mismatch', message: expect.stringMatching(/layers \(classifier, features\.0, /) });
    await expect(client.putEpoch('torch-run', 0, cnn)).rejects.toMatchObject({ status: 415, code: 'format_mismatch' });
  });

  it('serves /healthz and Prometheus metrics: requests, latencies, predictions, prunes', async () => {
    const health = await send(base, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^epochgraph_http_requests_total\{method="PUT",route="\/v1\/runs\/:run\/epochs\/:epoch",status="201"\} \d+$/m);
    expect(text).toMatch(/^epochgraph_http_request_duration_seconds_bucket\{le="\+Inf",method="PUT",route="\/v1\/runs\/:run\/epochs\/:epoch"\} \d+$/m);
    expect(text).toMatch(/^epochgraph_predictions_total 3$/m);
    expect(text).toMatch(/^epochgraph_prune_decisions_total\{policy="graph",prune="false"\} \d+$/m);
    expect(text).toMatch(/^# TYPE epochgraph_prunes_total counter$/m);
  });
});

describe('epochgraph serve: bad requests', () => {
  let service: Service;
  let base: string;
  let data: string;
  beforeAll(async () => ({ service, base, data } = await start({ maxBodyBytes: 64 * 1024 })));
  afterAll(() => service.close());

  /** Asserts the service answered `status` with a JSON error `code`, stored nothing new, and still serves. */
  async function refused(answer: Answer, status: number, code: string, before: string[]): Promise<void> {
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(code);
    expect(typeof answer.body.message).toBe('string');
    expect((answer.body.message as string).split('\n')).toHaveLength(1);
    expect(listFiles(data)).toEqual(before);
    expect((await send(base, 'GET', '/healthz')).status).toBe(200);
  }

  it('an epoch sent twice is idempotent; with other content it is a 409 and the stored one stays', async () => {
    await upload(base, 'twice', live[0], 0);
    const again = await upload(base, 'twice', live[0], 0);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ prune: false, reason: 'window incomplete' });
    const before = listFiles(data);
    const other = await send(base, 'PUT', '/v1/runs/twice/epochs/0?test_acc=0.5', { body: new Blob([checkpointOf(live[0], 1) as Uint8Array<ArrayBuffer>]), type: 'application/x-safetensors' });
    await refused(other, 409, 'epoch_conflict', before);
    const otherMetrics = await send(base, 'PUT', '/v1/runs/twice/epochs/0?test_acc=0.99', { body: new Blob([checkpointOf(live[0], 0) as Uint8Array<ArrayBuffer>]), type: 'application/x-safetensors' });
    await refused(otherMetrics, 409, 'epoch_conflict', before);
    expect(Buffer.from(readFileSync(join(data, 'twice', 'checkpoints', 'epoch-0000.safetensors'))).equals(Buffer.from(checkpointOf(live[0], 0)))).toBe(true);
  });

  it('epochs out of order are stored; the window completes with whichever epoch comes last', async () => {
    const answers = [];
    for (const epoch of [2, 4, 0, 1]) answers.push(await upload(base, 'shuffled', live[1], epoch));
    expect(answers.slice(0, 3).map((a) => a.body.reason)).toEqual(['window incomplete', 'window incomplete', 'window incomplete']);
    const [offline] = (await predictRuns(model, [live[1]])).predictions;
    expect(answers[3].body.predicted).toBe(offline.predicted);
    expect((await readRun(join(data, 'shuffled'))).history.map((h) => h.epoch)).toEqual([0, 1, 2, 4]);
  });

  it('refuses malformed bodies and metrics with a 4xx naming what is wrong', async () => {
    const before = listFiles(data);
    const put = (path: string, body: Uint8Array | string, type?: string) => send(base, 'PUT', path, { body: new Blob([body as Uint8Array<ArrayBuffer>]), ...(type ? { type } : {}) });
    await refused(await put('/v1/runs/bad/epochs/0', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'application/x-safetensors'), 400, 'bad_checkpoint', before);
    const truncated = checkpointOf(live[0], 0).subarray(0, 200);
    await refused(await put('/v1/runs/bad/epochs/0', truncated, 'application/x-safetensors'), 400, 'bad_checkpoint', before);
    const header = rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 64] } }, new Uint8Array(16));
    const answer = await put('/v1/runs/bad/epochs/0', header, 'application/x-safetensors');
    await refused(answer, 400, 'bad_checkpoint', before);
    expect(answer.body.message).toMatch(/^run bad: the body is not a readable safetensors checkpoint \(/);
    expect(answer.body.message).not.toMatch(/\.incoming/);
    await refused(await put('/v1/runs/bad/epochs/0', checkpointOf(live[0], 0), 'application/x-pytorch'), 415, 'format_mismatch', before);
    await refused(await put('/v1/runs/bad/epochs/0', checkpointOf(live[0], 0), 'application/octet-stream'), 415, 'unsupported_media_type', before);
    await refused(await put('/v1/runs/bad/epochs/0', new Uint8Array(0), 'application/x-safetensors'), 400, 'empty_body', before);
    await refused(await put('/v1/runs/bad/epochs/0?test_acc=87', checkpointOf(live[0], 0), 'application/x-safetensors'), 400, 'bad_metric', before);
    await refused(await put('/v1/runs/bad/epochs/0?train_loss=abc', checkpointOf(live[0], 0), 'application/x-safetensors'), 400, 'bad_metric', before);
    await refused(await put('/v1/runs/bad/epochs/-1', checkpointOf(live[0], 0), 'application/x-safetensors'), 400, 'bad_epoch', before);
    await refused(await put('/v1/runs/bad/epochs/99999999', checkpointOf(live[0], 0), 'application/x-safetensors'), 400, 'bad_epoch', before);
    // The model's window ends at epoch 2, whose test accuracy the curve features need.
    await refused(await put('/v1/runs/bad/epochs/2', checkpointOf(live[0], 2), 'application/x-safetensors'), 400, 'missing_metric', before);
    const form = new FormData();
    form.append('metrics', '{"test_acc": ');
    form.append('checkpoint', new Blob([checkpointOf(live[0], 0) as Uint8Array<ArrayBuffer>]), 'epoch.safetensors');
    await refused(await send(base, 'PUT', '/v1/runs/bad/epochs/0', { body: form }), 400, 'bad_metrics', before);
    const noFile = new FormData();
    noFile.append('metrics', '{}');
    await refused(await send(base, 'PUT', '/v1/runs/bad/epochs/0', { body: noFile }), 400, 'bad_multipart', before);
    expect(temporaries(data)).toEqual([]);
    expect(readdirSync(join(data, '.incoming'))).toEqual([]);
  });

  it('refuses an oversize body with 413, raw or in a form', async () => {
    const before = listFiles(data);
    const big = new Uint8Array(100 * 1024);
    await refused(await send(base, 'PUT', '/v1/runs/big/epochs/0', { body: new Blob([big]), type: 'application/x-safetensors' }), 413, 'body_too_large', before);
    const form = new FormData();
    form.append('checkpoint', new Blob([big]), 'epoch.safetensors');
    await refused(await send(base, 'PUT', '/v1/runs/big/epochs/0', { body: form }), 413, 'body_too_large', before);
  });

  it('refuses run names outside the safe set: no path leaves the data directory', async () => {
    const before = listFiles(data);
    // Sent as written (fetch would resolve dot segments itself).
    const raw = (path: string) =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpRequest(`${base}${path}`, { method: 'PUT', headers: { 'content-type': 'application/x-safetensors' } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(checkpointOf(live[0], 0));
      });
    for (const name of ['.hidden', '..%2F..%2Fetc', 'a%2Fb', 'a%5Cb', 'x'.repeat(129), '%C3%BC', 'a%00b', '-dash', '%20']) {
      await refused(await raw(`/v1/runs/${name}/epochs/0`), 400, 'bad_run_name', before);
    }
    // Dot segments are resolved by the router before any handler: they name another path, which does not exist.
    for (const name of ['..', '.', '%2E%2E']) await refused(await raw(`/v1/runs/${name}/epochs/0`), 404, 'not_found', before);
    expect((await send(base, 'GET', '/v1/runs/..%2F..')).status).toBe(400);
  });

  it('refuses a checkpoint whose architecture is not the model\'s, first or later in a run', async () => {
    const before = listFiles(data);
    const first = await upload(base, 'wide-run', wide, 0);
    await refused(first, 422, 'architecture_mismatch', before);
    expect(first.body.message).toMatch(/layers \(.*\) are not the model's \(.*fitted on mlp\)/);
    await upload(base, 'mixed', live[0], 0);
    const after = listFiles(data);
    await refused(await upload(base, 'mixed', wide, 1), 422, 'architecture_mismatch', after);
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    const answer = await send(base, 'GET', '/v2/nothing');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('not_found');
    expect((await send(base, 'DELETE', '/v1/runs/twice')).status).toBe(404);
  });
});

describe('epochgraph serve: tokens, back-pressure and shutdown', () => {
  it('needs the bearer token on every route but /healthz', async () => {
    const { service, base, data } = await start({ token: 's3cret' });
    try {
      const before = listFiles(data);
      const none = await upload(base, 'run', live[0], 0);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.body.error).toBe('unauthorized');
      expect((await upload(base, 'run', live[0], 0, { token: 'wrong' })).status).toBe(401);
      expect((await send(base, 'GET', '/v1/runs', { token: 's3cre' })).status).toBe(401);
      expect((await send(base, 'GET', '/metrics')).status).toBe(401);
      expect(listFiles(data)).toEqual(before);
      expect((await send(base, 'GET', '/healthz')).status).toBe(200);
      expect((await upload(base, 'run', live[0], 0, { token: 's3cret' })).status).toBe(201);
      await expect(new EpochgraphClient({ url: base, token: 'nope' }).runs()).rejects.toBeInstanceOf(ServiceRequestError);
      expect((await new EpochgraphClient({ url: base, token: 's3cret' }).runs()).runs).toHaveLength(1);
    } finally {
      await service.close();
    }
  });

  it('answers 503 with Retry-After when the feature queue is full, storing nothing, and takes the retry', async () => {
    const { service, base, data } = await start({ queueCapacity: 0 });
    try {
      await upload(base, 'run', live[0], 0);
      await upload(base, 'run', live[0], 1);
      const before = listFiles(data);
      // Another extraction holds the one slot.
      const blocker = service.queue.reserve();
      expect(blocker).toBeDefined();
      let unblock = () => {};
      const running = blocker?.run(() => new Promise<void>((resolve) => (unblock = resolve)));
      const busy = await upload(base, 'run', live[0], 2);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('2');
      expect(busy.body.error).toBe('busy');
      expect(listFiles(data)).toEqual(before);
      // Uploads that need no extraction still go through.
      expect((await upload(base, 'other', live[1], 0)).status).toBe(201);
      unblock();
      await running;
      const retried = await upload(base, 'run', live[0], 2);
      expect(retried.status).toBe(201);
      expect(typeof retried.body.predicted).toBe('number');
      expect(await service.metrics.registry.getSingleMetricAsString('epochgraph_backpressure_rejections_total')).toMatch(/^epochgraph_backpressure_rejections_total 1$/m);
    } finally {
      await service.close();
    }
  });

  it('cuts off a client that stalls in the middle of its upload after the request timeout, storing nothing', async () => {
    const { service, base, data } = await start({ requestTimeoutMs: 600 });
    try {
      const before = listFiles(data);
      const started = performance.now();
      const status = await new Promise<number>((resolve) => {
        const req = httpRequest(`${base}/v1/runs/stall/epochs/0`, { method: 'PUT', headers: { 'content-type': 'application/x-safetensors', 'content-length': 1000 } }, (res) => resolve(res.statusCode ?? 0));
        req.on('error', () => resolve(-1));
        req.write(new Uint8Array(100));
      });
      expect(status).toBe(408);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(listFiles(data)).toEqual(before);
      expect((await send(base, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('finishes an upload in flight when closed, then refuses new connections', async () => {
    const { service, base, data } = await start();
    const bytes = checkpointOf(live[0], 0);
    const url = new URL(`${base}/v1/runs/slow/epochs/0?test_acc=0.5`);
    // A client that sends half the body, waits while the service is asked to stop, then sends the rest.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'PUT', headers: { 'content-type': 'application/x-safetensors', 'content-length': bytes.byteLength } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(bytes.subarray(0, 100));
      setTimeout(() => req.end(bytes.subarray(100)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = service.close();
    const { status, body } = await answer;
    await closing;
    expect(status).toBe(201);
    expect(JSON.parse(body)).toEqual({ prune: false, reason: 'window incomplete' });
    expect(Buffer.from(readFileSync(join(data, 'slow', 'checkpoints', 'epoch-0000.safetensors'))).equals(Buffer.from(bytes))).toBe(true);
    expect((await readRun(join(data, 'slow'))).history).toHaveLength(1);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('the serve command', () => {
  it('listens on loopback, prints its address, serves, and exits 0 on SIGTERM', async () => {
    const modelFile = join(tempDir(), 'model.json');
    await writeModelFile(modelFile, model);
    const data = join(tempDir(), 'sweep');
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'serve', '--model', modelFile, '--data', data, '--port', '0', '--policy', 'median'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /^epochgraph serve: (http:\/\/127\.0\.0\.1:\d+) \(model .*policy median:/m.exec(stderr);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    expect((await upload(base, 'run', live[0], 0)).status).toBe(201);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: finishing requests in flight\nepochgraph serve: stopped\n$/);
    expect((await readRun(join(data, 'run'))).checkpoints).toHaveLength(1);
  });

  it('refuses bad flags with one line naming the flag', async () => {
    const modelFile = join(tempDir(), 'model.json');
    await writeModelFile(modelFile, model);
    const data = tempDir();
    const cases: [string[], RegExp][] = [
      [['--port', '70000'], /--port: expected 0 to 65535, got 70000/],
      [['--policy', 'bogus'], /--policy: unknown policy "bogus"/],
      [['--max-body-mb', '0'], /--max-body-mb: expected a positive integer, got 0/],
      [['--token', ''], /--token: the token is empty/],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await runCli(['serve', '--model', modelFile, '--data', data, ...flags]);
      expect(code).toBe(2);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });
});
