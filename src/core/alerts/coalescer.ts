/**
 * Batches work per key within this process: one batch of a key runs at a time, and the calls
 * that arrive while it runs share the next one, which starts after all of them. An optimisation
 * only (in a storm, one digest write or render per round instead of one per group): each batch
 * does what its calls asked for, and each call settles with its batch.
 */
interface Waiting<I, R> {
  item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class Coalescer<I, R> {
  private readonly queues = new Map<string, { running: boolean; next: Waiting<I, R>[] }>();

  /** `run` gets the items of one batch and returns one result per item, in their order. */
  constructor(private readonly runBatch: (key: string, items: I[]) => Promise<R[]>) {}

  run(key: string, item: I): Promise<R> {
    let q = this.queues.get(key);
    if (!q) {
      q = { running: false, next: [] };
      this.queues.set(key, q);
    }
    const queue = q;
    const done = new Promise<R>((resolve, reject) => queue.next.push({ item, resolve, reject }));
    if (!queue.running) void this.drain(key, queue);
    return done;
  }

  private async drain(key: string, q: { running: boolean; next: Waiting<I, R>[] }): Promise<void> {
    q.running = true;
    try {
      // Calls made in the same turn of the event loop (a batch of notifications reaching the same step) share the first batch too.
      await new Promise((r) => setImmediate(r));
      while (q.next.length) {
        const batch = q.next.splice(0);
        try {
          const results = await this.runBatch(key, batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i] as R));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      q.running = false;
      if (this.queues.get(key) === q) this.queues.delete(key);
    }
  }
}
