/**
 * Connections to the Redis server behind the job queue (BullMQ on ioredis). A queue is
 * named by a URL, `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]` (or `rediss://` for TLS),
 * the same URL on every machine of a zoo.
 */
import { Redis } from 'ioredis';
import { EpochgraphError } from '../errors.js';

/** The queue's Redis server is unreachable or its URL is malformed. */
export class QueueError extends EpochgraphError {}

/** ioredis options of a queue URL, as BullMQ takes them. */
export interface QueueConnection {
  readonly url: string;
  /** BullMQ's workers block on Redis: ioredis must not give up on a command. */
  readonly maxRetriesPerRequest: null;
}

/** Parses a queue URL. Returns the connection options; throws `QueueError` naming the URL. */
export function parseQueueUrl(url: string): QueueConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(`queue ${JSON.stringify(url)}: not a URL; expected redis://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueError(`queue ${url}: expected a redis:// or rediss:// URL, got ${parsed.protocol}//`);
  if (!parsed.hostname) throw new QueueError(`queue ${url}: missing host; expected redis://HOST:PORT`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new QueueError(`queue ${url}: the path must be a database number, got /${db}`);
  return { url, maxRetriesPerRequest: null };
}

/**
 * Checks that the queue's server answers, within `timeoutMs`. Commands that only talk to
 * the queue call it first, so that a wrong URL fails at once instead of retrying forever.
 * Throws `QueueError` naming the URL and the cause.
 */
export async function checkQueueReachable(connection: QueueConnection, timeoutMs = 5000): Promise<void> {
  const client = new Redis(connection.url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new QueueError(`queue ${connection.url}: cannot reach the Redis server (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); start redis-server or check the URL`);
  } finally {
    client.disconnect();
  }
}
