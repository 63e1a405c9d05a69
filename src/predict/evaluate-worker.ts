/**
 * A method-evaluation worker process (evaluate-workers.ts): keeps the tables of each
 * evaluation its parent sends until told to release them, and evaluates the methods its
 * parent sends, one at a time.
 */
import { transportError } from './evaluate-workers.js';
import type { EvaluateReply, EvaluateRequest, EvaluationTables } from './evaluate-workers.js';
import { evaluateMethods } from './evaluate.js';

const evaluations = new Map<number, EvaluationTables>();

process.on('message', (request: EvaluateRequest) => {
  if (request.type === 'stop') {
    if (process.connected) process.disconnect();
  } else if (request.type === 'tables') evaluations.set(request.id, request);
  else if (request.type === 'release') evaluations.delete(request.id);
  else {
    const { table, testTable, options } = evaluations.get(request.id) as EvaluationTables;
    let reply: EvaluateReply;
    try {
      const [evaluation] = evaluateMethods(table, { ...options, methods: [request.method] }, testTable);
      reply = { type: 'done', id: request.id, index: request.index, evaluation };
    } catch (error) {
      reply = { type: 'failed', id: request.id, index: request.index, error: transportError(error) };
    }
    process.send?.(reply);
  }
});
