/**
 * Runs health checks: each probe kind in the config schema has one function here; checks run in
 * parallel, each bounded by its own timeout.
 */
import { probeKindsOf, type HealthCheckConfig, type ProbeKind } from '../../config/schema.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';
import { diskProbe, memoryProbe } from './system.js';
import { tlsProbe } from './tls.js';
import { mongoProbe } from './mongo.js';
import { redisProbe } from './redis.js';
import { postgresProbe } from './postgres.js';
import { sqliteProbe } from './sqlite.js';
import { sqlProbe } from './sql.js';
import { alertsProbe } from './alerts.js';
import { displayUrl } from '../connection-url.js';
import { containerProbe, logCountProbe } from './container.js';
import { backupFreshProbe } from './backup-fresh.js';
import type { Probe, ProbeOutcome, ProbeServices } from './types.js';

export type { ProbeOutcome, ProbeStatus, ProbeServices } from './types.js';
export { isSkipped } from './types.js';

type Probes = { [K in ProbeKind]: Probe<NonNullable<HealthCheckConfig[K]>> };

export const PROBES: Probes = {
  http: httpProbe,
  tcp: tcpProbe,
  disk: diskProbe,
  memory: memoryProbe,
  tls: tlsProbe,
  mongo: mongoProbe,
  redis: redisProbe,
  postgres: postgresProbe,
  sqlite: sqliteProbe,
  sql: sqlProbe,
  alerts: alertsProbe,
  container: containerProbe,
  'log-count': logCountProbe,
  'backup-fresh': backupFreshProbe,
};

export interface CheckResult extends ProbeOutcome {
  target: string;
  name: string;
  kind: ProbeKind;
  durationMs: number;
  /** What a probe threw (a bug, not a failed check): for the log, never for chat. */
  internalError?: unknown;
}

export function checkName(check: HealthCheckConfig): string {
  if (check.name) return check.name;
  const kind = probeKindsOf(check)[0] as ProbeKind;
  const cfg = check[kind] as Record<string, unknown>;
  // URLs carry passwords and tokens: a check's name shows the URL without credentials, query or fragment.
  const hint = (typeof cfg.url === 'string' ? displayUrl(cfg.url) : undefined) ?? (cfg.path as string | undefined) ?? (cfg.host ? `${String(cfg.host)}:${String(cfg.port)}` : undefined)
    ?? (cfg.name as string | undefined) ?? (cfg.service as string | undefined);
  return hint ? `${kind} ${hint}` : kind;
}

export async function runCheck(target: string, check: HealthCheckConfig, defaultTimeoutMs: number, parent?: AbortSignal, services?: ProbeServices): Promise<CheckResult> {
  const kind = probeKindsOf(check)[0] as ProbeKind;
  const timeoutMs = check.timeout ?? defaultTimeoutMs;
  const signal = parent ? AbortSignal.any([parent, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const probe = PROBES[kind] as Probe<unknown>;
  let outcome: ProbeOutcome;
  let timer: NodeJS.Timeout | undefined;
  let internalError: unknown;
  try {
    // The probe sees the signal; the race guarantees the bound even if a probe ignores it.
    outcome = await Promise.race([
      probe(check[kind], { signal, timeoutMs, target, ...(services ? { services } : {}) }),
      new Promise<ProbeOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'fail', detail: `timed out after ${timeoutMs}ms` }), timeoutMs + 50);
      }),
    ]);
  } catch (e) {
    // Probes report expected failures as outcomes; what escapes one is a bug. Its message is not
    // for chat: the caller logs `internalError` and shows a reference.
    outcome = { status: 'fail', detail: 'internal error in the probe' };
    internalError = e;
  } finally {
    clearTimeout(timer);
  }
  return { ...outcome, target, name: checkName(check), kind, durationMs: Math.round(performance.now() - started), ...(internalError !== undefined ? { internalError } : {}) };
}

export function runChecks(checks: { target: string; check: HealthCheckConfig }[], defaultTimeoutMs: number, signal?: AbortSignal, services?: ProbeServices): Promise<CheckResult[]> {
  return Promise.all(checks.map((c) => runCheck(c.target, c.check, defaultTimeoutMs, signal, services)));
}
