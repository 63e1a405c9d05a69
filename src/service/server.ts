/**
 * The live pruning service (HTTP, Fastify): a training loop in any language uploads each
 * epoch's checkpoint and metrics, and is told the predicted final test accuracy with its
 * interval and whether to stop the run, by the same policy code as `prune-replay`.
 *
 * - `PUT /v1/runs/{run}/epochs/{epoch}`: the checkpoint as the body (`Content-Type:
 *   application/x-safetensors` or `application/x-pytorch`) with the metrics as query
 *   parameters, or `multipart/form-data` with a `checkpoint` file part and a `metrics`
 *   JSON part (`train_loss`, `train_acc`, `test_loss`, `test_acc`, optional `config` and
 *   `final`). Answers 201 when stored, 200 when the same epoch was stored before.
 * - `GET /v1/runs`, `GET /v1/runs/{run}`: the runs' state and predictions.
 * - `GET /healthz` (no token needed), `GET /metrics` (Prometheus text format).
 *
 * Limits: a body size cap, safe run names, a bearer token when one is set, a request
 * timeout, and a bounded queue for feature extraction (503 + Retry-After when full).
 * Every refusal is a 4xx answer with a JSON body `{"error", "message"}` and nothing written.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckpointFormat } from '../checkpoint/checkpoint.js';
import type { EpochAnswer } from '../client/index.js';
import { EpochgraphError, OptionError, WriteError } from '../errors.js';
import { readRolledGraph } from '../graph/rolled.js';
import type { ModelFile } from '../predict/model-file.js';
import { modelLayers } from '../predict/model-use.js';
import type { PrunePolicy, RunView } from '../prune/policy.js';
import { formatEpochs } from '../util/epochs.js';
import { printable } from '../util/format.js';
import { ServiceError } from './errors.js';
import { ServiceMetrics } from './metrics.js';
import { PredictionWorker } from './prediction-worker.js';
import { BoundedQueue } from './queue.js';
import { RunStore, checkRunName, parseEpoch, parseMetrics } from './store.js';
import type { EpochMetrics, StoredRun } from './store.js';

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  /** Largest accepted upload, bytes (a VGG-16 state dict is about 530 MB; LeNet-5 about 250 kB). */
  maxBodyBytes: 256 * 1024 * 1024,
  /** Time to receive a whole request, milliseconds. */
  requestTimeoutMs: 60_000,
  /** Feature extractions waiting at most (each is one run's window). */
  queueCapacity: 16,
  /** Seconds a client told to come back later (503) should wait. */
  retryAfterSeconds: 2,
});

/** Body content types and the checkpoint format each declares. */
export const CHECKPOINT_CONTENT_TYPES: Readonly<Record<string, CheckpointFormat>> = Object.freeze({
  'application/x-safetensors': 'safetensors',
  'application/x-pytorch': 'pytorch',
});

/** Options of `createService`. */
export interface ServiceOptions {
  readonly model: ModelFile;
  /** The data directory: a zoo. */
  readonly dataDir: string;
  /** The policy deciding whether to stop a run. */
  readonly policy: PrunePolicy;
  /** Bearer token required on every request but /healthz; none: no authentication. */
  readonly token?: string;
  readonly maxBodyBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly queueCapacity?: number;
}

/** A running service. */
export interface Service {
  readonly app: FastifyInstance;
  readonly store: RunStore;
  readonly metrics: ServiceMetrics;
  /** The feature-extraction queue. */
  readonly queue: BoundedQueue;
  /** Starts listening. Returns the address (`http://host:port`). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting requests, finishes those in flight and every write. */
  close(): Promise<void>;
}

/** An upload's parts, from a raw body or a multipart form. */
interface UploadParts {
  readonly format: CheckpointFormat;
  readonly bytes: Uint8Array;
  readonly metrics: EpochMetrics;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly final: boolean;
}

function bad(code: string, message: string, status = 400): ServiceError {
  return new ServiceError(status, code, message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The checkpoint format of a content type (parameters such as `; charset` ignored), or undefined. */
function formatOf(contentType: string | undefined): CheckpointFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return Object.hasOwn(CHECKPOINT_CONTENT_TYPES, type) ? CHECKPOINT_CONTENT_TYPES[type] : undefined;
}

const ACCEPTED = `${Object.keys(CHECKPOINT_CONTENT_TYPES).join(', ')} or multipart/form-data`;

/** Reads the `final` flag (query text or JSON). */
function finalFlag(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 'false' || value === '0' || value === '') return false;
  if (value === true || value === 'true' || value === '1') return true;
  throw bad('bad_final', `final must be true or false, got ${JSON.stringify(printable(String(value).slice(0, 20)))}`);
}

/** The metrics, config and final flag of a multipart `metrics` part (JSON text). */
function parseMetricsPart(text: string): Pick<UploadParts, 'metrics' | 'config' | 'final'> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad('bad_metrics', `the metrics part is not valid JSON (${printable((error as Error).message)})`);
  }
  if (!isPlainObject(value)) throw bad('bad_metrics', 'the metrics part must be a JSON object');
  const { config, final } = value;
  if (config !== undefined && !isPlainObject(config)) throw bad('bad_metrics', 'config must be a JSON object');
  return { metrics: parseMetrics(value), ...(config === undefined ? {} : { config }), final: finalFlag(final) };
}

/** The parts of an upload request. */
async function uploadParts(request: FastifyRequest, maxBodyBytes: number): Promise<UploadParts> {
  const query = request.query as Record<string, unknown>;
  if (request.isMultipart()) {
    let checkpoint: { format: CheckpointFormat; bytes: Uint8Array } | undefined;
    let described: Pick<UploadParts, 'metrics' | 'config' | 'final'> | undefined;
    for await (const part of request.parts({ limits: { fileSize: maxBodyBytes, files: 1, fields: 4, fieldSize: 1 << 20, parts: 5 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'checkpoint') throw bad('bad_multipart', `unexpected file part "${printable(part.fieldname)}" (send the checkpoint as "checkpoint")`);
        const format = formatOf(part.mimetype) ?? (part.filename.endsWith('.safetensors') ? 'safetensors' : /\.pth?$/.test(part.filename) ? 'pytorch' : undefined);
        if (format === undefined) throw bad('unsupported_media_type', `the checkpoint part's type ${JSON.stringify(part.mimetype)} and name say no format; use ${Object.keys(CHECKPOINT_CONTENT_TYPES).join(' or ')}, or a .safetensors or .pt file name`, 415);
        checkpoint = { format, bytes: await part.toBuffer() };
      } else if (part.fieldname === 'metrics') described = parseMetricsPart(String(part.value));
      else throw bad('bad_multipart', `unexpected part "${printable(part.fieldname)}" (expected "checkpoint" and "metrics")`);
    }
    if (checkpoint === undefined) throw bad('bad_multipart', 'the form has no "checkpoint" file part');
    return { ...checkpoint, ...(described ?? { metrics: parseMetrics(query), final: finalFlag(query.final) }) };
  }
  const format = formatOf(request.headers['content-type']);
  const body = request.body;
  if (format === undefined || !(body instanceof Uint8Array)) throw bad('unsupported_media_type', `send the checkpoint with Content-Type ${ACCEPTED}`, 415);
  if (body.byteLength === 0) throw bad('empty_body', 'the body is empty: send the checkpoint');
  return { format, bytes: body, metrics: parseMetrics(query), final: finalFlag(query.final) };
}

/** Whether `run` ran to its end: the client said so, or it reached its config's `epochs`. */
function isFinished(stored: StoredRun): boolean {
  const planned = stored.run.config.epochs;
  const last = stored.run.history.at(-1)?.epoch;
  return stored.state.finished === true || (typeof planned === 'number' && last !== undefined && last >= planned);
}

/** A stored run as the policies see it. */
function runView(stored: StoredRun): RunView {
  return {
    id: stored.name,
    state: stored.state.pruned ? 'pruned' : isFinished(stored) ? 'finished' : 'running',
    observations: stored.run.history.map((h) => ({ epoch: h.epoch, test_acc: h.test_acc })),
    ...(stored.state.prediction ? { prediction: stored.state.prediction } : {}),
  };
}

/** Compares a presented token with the expected one in constant time. */
function tokenMatches(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Creates the service over `options.dataDir` (created if missing; runs already there are
 * loaded). Returns it, not yet listening; throws `RunFormatError` for a data directory
 * holding a malformed run and `OptionError` for an invalid limit.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const { model, policy, token } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new OptionError('maxBodyBytes', `expected a positive number of bytes, got ${maxBodyBytes}`);
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 1) throw new OptionError('requestTimeoutMs', `expected a positive number of milliseconds, got ${requestTimeoutMs}`);
  const queue = new BoundedQueue({ capacity: options.queueCapacity ?? DEFAULTS.queueCapacity });
  const layers = modelLayers(model);
  const window = model.window;
  const windowEnd = window[window.length - 1];
  const needsTestAcc = model.blocks.includes('curve');
  const store = await RunStore.open(options.dataDir, {
    checkFirstCheckpoint: async (file) => {
      if (layers === undefined) return;
      let names: string[];
      try {
        names = (await readRolledGraph(file)).layers.map((l) => l.name).sort();
      } catch (error) {
        if (!(error instanceof EpochgraphError)) throw error;
        throw new ServiceError(422, 'architecture_mismatch', `the checkpoint is not a network the graph builder reads (${printable(error.message.replaceAll(`${file}: `, ''))})`);
      }
      if (names.join('\n') !== layers.join('\n')) {
        throw new ServiceError(422, 'architecture_mismatch', `the checkpoint's layers (${names.join(', ')}) are not the model's (${layers.join(', ')}; fitted on ${model.architectures.join(', ')})`);
      }
    },
  });
  const metrics = new ServiceMetrics();
  const worker = new PredictionWorker(model);
  /** Each run's last decision, as answered. */
  const decisions = new Map<string, { epoch: number; prune: boolean; reason: string }>();

  // Parameters up to 256 characters reach the handlers, whose own rules (run names: 128) explain a refusal.
  // The timeout bounds receiving a request (headers and body), checked every half timeout (at most 30 s);
  // no socket inactivity timeout, which would also cut an answer waiting for a long feature extraction.
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 256 },
    bodyLimit: maxBodyBytes,
    requestTimeout: requestTimeoutMs,
    // Node enforces requestTimeout only when headersTimeout is no longer, and both must be given at creation.
    http: { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 2))) },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(fastifyMultipart);
  for (const type of Object.keys(CHECKPOINT_CONTENT_TYPES)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    if (token === undefined || request.routeOptions.url === '/healthz') return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (match === null || !tokenMatches(match[1], token)) {
      throw new ServiceError(401, 'unauthorized', header === '' ? 'this service needs a bearer token (Authorization: Bearer <token>)' : 'the bearer token is not the service\'s', { 'WWW-Authenticate': 'Bearer' });
    }
  });
  // While stopping, answers close their connection, so that a keep-alive client does not hold the shutdown up.
  let closing = false;
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, _request, reply: FastifyReply) => {
    if (error instanceof ServiceError) {
      await reply.code(error.status).headers(error.headers).send({ error: error.code, message: error.message.replace(/^service: /, '') });
      return;
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE') {
      await reply.code(413).send({ error: 'body_too_large', message: `the body is over the limit of ${maxBodyBytes.toLocaleString('en-US')} bytes` });
      return;
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      await reply.code(415).send({ error: 'unsupported_media_type', message: `send the checkpoint with Content-Type ${ACCEPTED}` });
      return;
    }
    if (error instanceof WriteError) {
      await reply.code(507).send({ error: 'cannot_write', message: error.message });
      return;
    }
    if (error instanceof EpochgraphError) {
      await reply.code(422).send({ error: 'unprocessable', message: error.message });
      return;
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      await reply.code(error.statusCode).send({ error: (error.code ?? 'bad_request').toLowerCase(), message: error.message });
      return;
    }
    reply.log.error(error);
    await reply.code(500).send({ error: 'internal', message: `internal error: ${error.message}` });
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${printable(request.url.slice(0, 200))}` });
  });

  const windowComplete = (stored: StoredRun) => {
    const epochs = new Set(stored.run.checkpoints.map((c) => c.epoch));
    return window.every((e) => epochs.has(e) || (stored.run.diverged_at_epoch !== undefined && e > stored.run.diverged_at_epoch));
  };

  /** The policy's decision for `stored` now, recorded (and its stop persisted). */
  const decide = async (stored: StoredRun): Promise<EpochAnswer> => {
    const prediction = stored.state.prediction;
    if (prediction === undefined) return { prune: false, reason: 'window incomplete' };
    const others = store.list().filter((o) => o.name !== stored.name).map(runView);
    const decision = stored.state.pruned ? { prune: true, reason: decisions.get(stored.name)?.reason ?? 'stopped earlier' } : policy.decide(runView(stored), others);
    metrics.decisions.inc({ policy: policy.name, prune: String(decision.prune) });
    if (decision.prune && !stored.state.pruned) {
      metrics.prunes.inc({ policy: policy.name });
      await store.setState(stored.name, { ...stored.state, pruned: true });
    }
    decisions.set(stored.name, { epoch: stored.run.history.at(-1)?.epoch ?? 0, ...decision });
    return { ...prediction, prune: decision.prune, reason: decision.reason };
  };

  app.put('/v1/runs/:run/epochs/:epoch', async (request, reply) => {
    const params = request.params as { run: string; epoch: string };
    const name = checkRunName(params.run);
    const epoch = parseEpoch(params.epoch);
    const upload = await uploadParts(request, maxBodyBytes);
    if (needsTestAcc && epoch === windowEnd && upload.metrics.test_acc === null) {
      throw bad('missing_metric', `test_acc is needed at epoch ${epoch}, the end of the model's window ${formatEpochs(window)}`);
    }
    const { outcome, answer } = await store.withRun(name, async () => {
      const before = store.get(name);
      const completes = before?.state.prediction === undefined && window.includes(epoch) && window.every((e) => e === epoch || before?.run.checkpoints.some((c) => c.epoch === e));
      // A place for the feature extraction is taken before anything is written: a full queue refuses the upload whole.
      const ticket = completes ? queue.reserve() : undefined;
      if (completes && ticket === undefined) {
        metrics.rejected.inc();
        throw new ServiceError(503, 'busy', `the feature queue is full (${queue.capacity} waiting); retry in ${DEFAULTS.retryAfterSeconds} s`, { 'Retry-After': String(DEFAULTS.retryAfterSeconds) });
      }
      try {
        const result = await store.putEpoch({ run: name, epoch, format: upload.format, bytes: upload.bytes, metrics: upload.metrics, ...(upload.config ? { config: upload.config } : {}) });
        let stored = result.stored;
        if (upload.final && !stored.state.finished) stored = await store.setState(name, { ...stored.state, finished: true });
        if (stored.state.prediction === undefined && windowComplete(stored)) {
          const place = ticket ?? queue.reserve();
          if (place !== undefined) {
            metrics.queueWaiting.set(queue.depth.waiting);
            const { predicted, lower, upper } = await place.run(async () => {
              metrics.queueRunning.set(queue.depth.running);
              return worker.predict(join(store.dir, name));
            });
            metrics.queueWaiting.set(queue.depth.waiting);
            metrics.queueRunning.set(queue.depth.running);
            metrics.predictions.inc();
            stored = await store.setState(name, { ...stored.state, prediction: { predicted, lower, upper } });
          }
        }
        return { outcome: result.outcome, answer: await decide(stored) };
      } finally {
        // A place not used (the epoch was refused, or completed nothing) goes back; after a run this does nothing.
        ticket?.release();
      }
    });
    await reply.code(outcome === 'stored' ? 201 : 200).send(answer);
  });

  const describeRun = (stored: StoredRun) => ({
    run: stored.name,
    state: runView(stored).state,
    epochs: stored.run.checkpoints.map((c) => c.epoch),
    last_epoch: stored.run.history.at(-1)?.epoch ?? null,
    last_test_acc: stored.run.finalTestAcc,
    window_complete: windowComplete(stored),
    prediction: stored.state.prediction ?? null,
    decision: decisions.get(stored.name) ?? null,
  });

  app.get('/v1/runs', async () => ({ model: { method: model.method, window, policy: policy.label }, runs: store.list().map(describeRun) }));
  app.get('/v1/runs/:run', async (request) => {
    const name = checkRunName((request.params as { run: string }).run);
    const stored = store.get(name);
    if (stored === undefined) throw new ServiceError(404, 'no_such_run', `no run ${name}`);
    return { ...describeRun(stored), config: stored.run.config, history: stored.run.history, diverged_at_epoch: stored.run.diverged_at_epoch ?? null };
  });
  app.get('/healthz', async () => ({ status: 'ok', runs: store.list().length, queue: queue.depth }));
  app.get('/metrics', async (_request, reply) => {
    metrics.queueWaiting.set(queue.depth.waiting);
    metrics.queueRunning.set(queue.depth.running);
    await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return {
    app,
    store,
    metrics,
    queue,
    async listen(port = DEFAULTS.port, host = DEFAULTS.host) {
      return app.listen({ port, host });
    },
    async close() {
      closing = true;
      await app.close();
      await store.settled();
      await worker.close();
    },
  };
}
