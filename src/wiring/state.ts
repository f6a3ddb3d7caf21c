/** Which store and which coordination the bot uses: the one place that chooses them. */
import type { Env } from '../config/env.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { openStore, type Store } from '../core/store/index.js';
import { StoreCoordination } from '../core/coordination/store.js';
import { RedisCoordination } from '../core/coordination/redis.js';
import type { Coordination } from '../core/coordination/types.js';

export interface State {
  store: Store;
  coordination: Coordination;
}

/**
 * MongoDB when `MONGODB_URL` is set, else the embedded SQLite store under `OPSBOT_DATA_DIR` (in
 * memory for one-shot runs). Coordination: Redis when `REDIS_URL` is set, otherwise leases in the
 * store in use, so the bot and every `opsbot exec` on the same data folder share them.
 */
export async function openState(env: Env, opts: { memoryStore?: boolean | undefined; log: Logger; clock: Clock }): Promise<State> {
  const store = await openStore({ mongodbUrl: env.MONGODB_URL, dataDir: opts.memoryStore ? null : env.OPSBOT_DATA_DIR, log: opts.log.child({ component: 'store' }) });
  const coordination: Coordination = env.REDIS_URL ? await RedisCoordination.connect(env.REDIS_URL) : new StoreCoordination(store, { clock: opts.clock });
  return { store, coordination };
}
