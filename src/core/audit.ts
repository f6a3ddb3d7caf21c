/** The audit trail: see `audit/` (entry shape, the log in the store, process ownership, JSONL export). */
export * from './audit/entry.js';
export * from './audit/log.js';
export { auditJsonl } from './audit/jsonl.js';
export { thisProcess, ownerGone, pidAlive } from './audit/owner.js';
