/** Which store and which coordination the bot uses: the one place that chooses them. */
import type { Env } from '../config/env.js';
import { openStore, type Store } from '../core/store/index.js';
import { MemoryCoordination } from '../core/coordination/memory.js';
import { RedisCoordination } from '../core/coordination/redis.js';
import type { Coordination } from '../core/coordination/types.js';

export interface State {
  store: Store;
  coordination: Coordination;
}

/** MongoDB when `MONGODB_URL` is set, else the embedded store (in memory for one-shot runs); Redis coordination when `REDIS_URL` is set. */
export async function openState(env: Env, opts: { memoryStore?: boolean | undefined }): Promise<State> {
  const store = await openStore({ mongodbUrl: env.MONGODB_URL, dataDir: opts.memoryStore ? null : env.OPSBOT_DATA_DIR });
  const coordination: Coordination = env.REDIS_URL ? await RedisCoordination.connect(env.REDIS_URL) : new MemoryCoordination();
  return { store, coordination };
}
