/**
 * A method-evaluation worker process (evaluate-workers.ts): receives the feature tables
 * once, then evaluates the methods its parent sends, one at a time.
 */
import { transportError } from './evaluate-workers.js';
import type { EvaluateReply, EvaluateRequest } from './evaluate-workers.js';
import { evaluateMethods } from './evaluate.js';

let tables: Extract<EvaluateRequest, { type: 'tables' }> | undefined;

process.on('message', (request: EvaluateRequest) => {
  if (request.type === 'stop') process.disconnect();
  else if (request.type === 'tables') tables = request;
  else {
    const { table, testTable, options } = tables as Extract<EvaluateRequest, { type: 'tables' }>;
    let reply: EvaluateReply;
    try {
      const [evaluation] = evaluateMethods(table, { ...options, methods: [request.method] }, testTable);
      reply = { type: 'done', index: request.index, evaluation };
    } catch (error) {
      reply = { type: 'failed', index: request.index, error: transportError(error) };
    }
    process.send?.(reply);
  }
});
