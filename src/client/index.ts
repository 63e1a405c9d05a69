/**
 * `epochgraph/client`: a small client of the live pruning service (`epochgraph serve`,
 * docs/live-pruning.md) for TypeScript training loops, tfjs included. It uploads each
 * epoch's checkpoint and metrics and returns the service's answer: the predicted final
 * test accuracy with its interval, and whether to stop the run.
 *
 * It speaks the service's HTTP API through the platform's `fetch`; a 503 (the service's
 * feature queue is full) is retried after the Retry-After the service names, a bounded
 * number of times. `tfjsCheckpoint` turns a tfjs LayersModel's weights into a safetensors
 * body in PyTorch's layout, the layout every epochgraph reader expects.
 */
import { kerasToPytorch, roleOfWeightName } from '../checkpoint/keras-layout.js';
import type { KerasLayer } from '../checkpoint/keras-layout.js';
import { safetensorsHeader, tensorBytes } from '../checkpoint/safetensors.js';
import type { DType } from '../checkpoint/tensor.js';

export const DEFAULTS = Object.freeze({
  /** Retries of a request answered 503 (busy) before giving up. */
  retries: 5,
  /** Seconds to wait before a retry when the service names none. */
  retryAfterSeconds: 1,
});

/** One epoch's metrics: losses, and accuracies as fractions in [0, 1]; leave out what was not measured. */
export interface EpochMetrics {
  readonly train_loss?: number | null;
  readonly train_acc?: number | null;
  readonly test_loss?: number | null;
  readonly test_acc?: number | null;
  /** Wall-clock seconds the epoch took (lets prune-replay count the time a policy saves). */
  readonly seconds?: number;
}

/** The service's answer to an upload. `predicted`, `lower` and `upper` are present once the model's window is complete. */
export interface EpochAnswer {
  readonly predicted?: number;
  readonly lower?: number;
  readonly upper?: number;
  readonly prune: boolean;
  readonly reason: string;
}

/** Options of `EpochgraphClient.putEpoch`. */
export interface PutEpochOptions {
  /** The checkpoint's format (default `safetensors`). */
  readonly format?: 'safetensors' | 'pytorch';
  readonly metrics?: EpochMetrics;
  /** The run's hyperparameters, stored in its run.json by the first upload that gives them. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** This is the run's last epoch: it trained to its end. */
  readonly final?: boolean;
}

/** Options of `EpochgraphClient`. */
export interface ClientOptions {
  /** The service's address, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The bearer token the service was started with. */
  readonly token?: string;
  /** Retries of a 503 answer (default `DEFAULTS.retries`). */
  readonly retries?: number;
  /** The fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** An answer other than success: the service's status, error code and message. */
export class ServiceRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`epochgraph service: ${status} ${code}: ${message}`);
    this.name = 'ServiceRequestError';
  }
}

const CONTENT_TYPES = Object.freeze({ safetensors: 'application/x-safetensors', pytorch: 'application/x-pytorch' });

/** A client of one service. */
export class EpochgraphClient {
  private readonly base: string;
  private readonly retries: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.retries = options.retries ?? DEFAULTS.retries;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Uploads epoch `epoch` of run `run`: its checkpoint bytes and metrics. Returns the
   * service's answer; throws `ServiceRequestError` for a refusal (4xx, 5xx).
   */
  async putEpoch(run: string, epoch: number, checkpoint: Uint8Array, options: PutEpochOptions = {}): Promise<EpochAnswer> {
    const format = options.format ?? 'safetensors';
    const path = `/v1/runs/${encodeURIComponent(run)}/epochs/${epoch}`;
    const body = new Blob([checkpoint as Uint8Array<ArrayBuffer>], { type: CONTENT_TYPES[format] });
    if (options.config !== undefined) {
      // The config travels in the JSON part of a form, beside the checkpoint.
      return this.request<EpochAnswer>('PUT', path, () => {
        const form = new FormData();
        form.append('metrics', JSON.stringify({ ...options.metrics, config: options.config, final: options.final ?? false }));
        form.append('checkpoint', body, `epoch-${epoch}.${format === 'pytorch' ? 'pt' : 'safetensors'}`);
        return { body: form };
      });
    }
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.metrics ?? {})) if (value !== undefined && value !== null) query.set(key, String(value));
    if (options.final) query.set('final', 'true');
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.request<EpochAnswer>('PUT', `${path}${suffix}`, () => ({ body, headers: { 'content-type': CONTENT_TYPES[format] } }));
  }

  /** Every run the service holds, with its state and prediction. */
  async runs(): Promise<{ runs: Record<string, unknown>[] }> {
    return this.request('GET', '/v1/runs');
  }

  /** One run's state, history and prediction. */
  async run(name: string): Promise<Record<string, unknown>> {
    return this.request('GET', `/v1/runs/${encodeURIComponent(name)}`);
  }

  /** The service's health. */
  async health(): Promise<{ status: string }> {
    return this.request('GET', '/healthz');
  }

  private async request<T>(method: string, path: string, make: () => { body?: BodyInit; headers?: Record<string, string> } = () => ({})): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { body, headers } = make();
      const response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        ...(body === undefined ? {} : { body }),
        headers: { ...headers, ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }) },
      });
      const text = await response.text();
      if (response.ok) return JSON.parse(text) as T;
      if (response.status === 503 && attempt < this.retries) {
        const seconds = Number(response.headers.get('retry-after') ?? DEFAULTS.retryAfterSeconds);
        await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(seconds) ? seconds : DEFAULTS.retryAfterSeconds) * 1000));
        continue;
      }
      let error: { error?: string; message?: string } = {};
      try {
        error = JSON.parse(text) as typeof error;
      } catch {
        error = { message: text.slice(0, 200) };
      }
      throw new ServiceRequestError(response.status, error.error ?? 'error', error.message ?? response.statusText);
    }
  }
}

/** The parts of a tfjs `LayersModel` the conversion reads (so that this module needs no tfjs). */
export interface TfjsModelLike {
  readonly layers: readonly {
    readonly name: string;
    getClassName(): string;
    readonly weights: readonly { readonly name: string }[];
    getWeights(): readonly { readonly shape: readonly number[]; readonly dtype: string; dataSync(): ArrayLike<number> }[];
  }[];
}

/**
 * A tfjs LayersModel's weights as a safetensors body in PyTorch's layout (dense `[out,
 * in]`, conv `[out, in, kh, kw]`, a channels-last flatten reordered), each layer's
 * tensors named by its position in the model (`0.weight`, `3.bias`, as a PyTorch
 * `nn.Sequential` names them) so that the file's natural name order is the model's.
 * Returns the bytes; throws `Error` for a weight with no PyTorch counterpart.
 */
export function tfjsCheckpoint(model: TfjsModelLike): Uint8Array {
  const layers: KerasLayer[] = [];
  model.layers.forEach((layer, position) => {
    const values = layer.getWeights();
    if (values.length === 0) return;
    layers.push({
      name: String(position),
      className: layer.getClassName(),
      weights: values.map((w, i) => {
        const dtype: DType = w.dtype === 'int32' ? 'I32' : 'F32';
        const data = dtype === 'I32' ? Int32Array.from(w.dataSync()) : Float32Array.from(w.dataSync());
        return { role: roleOfWeightName(layer.weights[i].name), dtype, shape: w.shape, data };
      }),
    });
  });
  const tensors = kerasToPytorch(layers, (detail) => new Error(`tfjsCheckpoint: ${detail}`));
  const header = safetensorsHeader('tfjs model', tensors);
  const out = new Uint8Array(header.byteLength + tensors.reduce((n, t) => n + t.data.byteLength, 0));
  out.set(header, 0);
  let offset = header.byteLength;
  for (const t of tensors) {
    out.set(tensorBytes(t), offset);
    offset += t.data.byteLength;
  }
  return out;
}
