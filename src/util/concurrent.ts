/**
 * Bounded concurrency for I/O-bound loops: many small file operations finish sooner with a
 * few in flight (libuv runs them on its thread pool) than awaited one by one.
 */

/** Calls `task` on every item with at most `limit` calls in flight. Resolves when all are done; rejects with the first error. */
export async function forEachConcurrent<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
