/**
 * The service's Prometheus metrics (text exposition format 0.0.4, through prom-client):
 * requests and their latencies by route and status, predictions made, pruning decisions,
 * refusals for back-pressure, and the feature queue's depth, in a registry of the
 * service's own (no process-global state), with the process metrics prom-client collects.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets, seconds: from a cached answer to a feature extraction of a large network. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The metrics of one service instance. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'epochgraph_http_requests_total', help: 'HTTP requests answered, by method, route and status code', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  readonly latency = new Histogram({ name: 'epochgraph_http_request_duration_seconds', help: 'Time from receiving a request to sending its answer', labelNames: ['method', 'route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly predictions = new Counter({ name: 'epochgraph_predictions_total', help: 'Runs predicted (their model window became complete)', registers: [this.registry] });
  readonly decisions = new Counter({ name: 'epochgraph_prune_decisions_total', help: 'Pruning decisions answered, by policy and outcome', labelNames: ['policy', 'prune'] as const, registers: [this.registry] });
  readonly prunes = new Counter({ name: 'epochgraph_prunes_total', help: 'Runs told to stop (first time each)', labelNames: ['policy'] as const, registers: [this.registry] });
  readonly rejected = new Counter({ name: 'epochgraph_backpressure_rejections_total', help: 'Uploads refused with 503 because the feature queue was full', registers: [this.registry] });
  readonly queueWaiting = new Gauge({ name: 'epochgraph_feature_queue_waiting', help: 'Feature extractions reserved or waiting', registers: [this.registry] });
  readonly queueRunning = new Gauge({ name: 'epochgraph_feature_queue_running', help: 'Feature extractions running', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'epochgraph_' });
  }
}
