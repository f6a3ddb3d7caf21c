/** Retention of every growing collection (`retention:` config), swept once per period across replicas. */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { Coordination } from '../core/coordination/types.js';
import type { Clock } from '../core/clock.js';
import type { AuditLog } from '../core/audit.js';
import { RetentionSweeper } from '../core/retention/sweeper.js';

export function wireRetention(config: Config, deps: { store: Store; coordination: Coordination; clock: Clock; log: Logger; audit: AuditLog }): RetentionSweeper {
  return new RetentionSweeper({
    store: deps.store, coordination: deps.coordination, clock: deps.clock, log: deps.log.child({ component: 'retention' }),
    ages: config.retention,
    onSwept: (removed) => deps.audit.systemEvent({ action: 'retention.swept', message: `retention removed ${Object.entries(removed).map(([k, n]) => `${n} ${k}`).join(', ')}`, detail: { removed } }),
  });
}
