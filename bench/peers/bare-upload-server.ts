/**
 * The load test's peer (bench/serve.ts): a bare Fastify server that takes the same
 * `PUT /v1/runs/{run}/epochs/{epoch}` uploads and writes each body atomically to
 * `<dir>/<run>/checkpoints/epoch-NNNN.safetensors`, and nothing else: no validation, no
 * run.json, no prediction. Prints its address on stderr; stops on SIGTERM.
 *
 * Usage: node --import tsx bench/peers/bare-upload-server.ts DIR
 */
import { join } from 'node:path';
import Fastify from 'fastify';
import { checkpointFileName } from '../../src/checkpoint/run.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

const dir = process.argv[2];
const app = Fastify({ bodyLimit: 256 * 1024 * 1024 });
app.addContentTypeParser('application/x-safetensors', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.put('/v1/runs/:run/epochs/:epoch', async (request, reply) => {
  const { run, epoch } = request.params as { run: string; epoch: string };
  await writeFileAtomic(join(dir, run, 'checkpoints', checkpointFileName(Number(epoch))), request.body as Buffer);
  await reply.code(201).send({ prune: false, reason: 'stored' });
});
process.stderr.write(`${await app.listen({ port: 0, host: '127.0.0.1' })}\n`);
process.once('SIGTERM', () => void app.close());
