/**
 * `status`, `restart` and `logs` of a target whose service runs under systemd, pm2 or supervisor
 * (its `manager:` config), on this host or over SSH: the same commands, the same kind of reply
 * as for containers.
 */
import type { Config, TargetConfig } from '../../config/schema.js';
import type { HostServiceConfig } from '../../config/services-schema.js';
import { formatDuration } from '../../core/duration.js';
import type { Redactor } from '../../core/redact.js';
import { table, type Reply, type ReplyBlock, type Status } from '../../core/reply.js';
import type { ServiceManager, ServiceRestartResult, ServiceRestarts, ServiceState } from '../../ops/services/index.js';

/** What the handlers need to reach services: a manager per target, and the locked restarts. */
export interface ServiceAccess {
  managerOf(target: string): ServiceManager;
  restarts: ServiceRestarts;
}

/** The target's manager when its service does not run in Docker. */
export function hostServiceOf(t: TargetConfig): HostServiceConfig | undefined {
  return t.manager && t.manager.kind !== 'docker' ? t.manager : undefined;
}

export function serviceTargets(targets: Config['targets']): [string, HostServiceConfig][] {
  return Object.entries(targets).flatMap(([n, t]) => { const m = hostServiceOf(t); return m ? [[n, m] as [string, HostServiceConfig]] : []; });
}

export function stateStatus(s: ServiceState): Status {
  if (s.running) return 'ok';
  return 'fail';
}

function uptimeOf(s: ServiceState, now: number): string {
  return s.running && s.startedAt ? formatDuration(Math.max(0, now - s.startedAt.getTime())) : '-';
}

export function shortServiceState(s: ServiceState | undefined, now: number): string {
  if (!s) return '-';
  return `${s.state}${s.pid ? ` pid ${s.pid}` : ''}${s.running && s.startedAt ? ` (up ${uptimeOf(s, now)})` : ''}`;
}

export const SERVICE_COLUMNS = ['Target', 'Service', 'Manager', 'Host', 'State', 'PID', 'Uptime', 'Restarts'];

export function serviceRows(target: string, m: ServiceManager, states: ServiceState[], now: number): string[][] {
  return states.map((s) => [target, s.name, m.kind, m.host, `${s.state}${s.detail ? ` (${s.detail})` : ''}`, s.pid ? String(s.pid) : '-', uptimeOf(s, now), s.restartCount === undefined ? '-' : String(s.restartCount)]);
}

export function serviceRestartReply(target: string, result: ServiceRestartResult, m: ServiceManager, redactor: Redactor, logBlock: (title: string, lines: ServiceRestartResult['logs']) => ReplyBlock[]): Reply {
  const now = Date.now();
  const { ok, tookMs } = result;
  const rows = result.before.map((b, i) => {
    const a = result.after.find((x) => x.name === b.name) ?? result.after[i];
    return [b.name, shortServiceState(b, now), shortServiceState(a, now), `${b.restartCount ?? '-'} → ${a?.restartCount ?? '?'}`, a?.startedAt ? a.startedAt.toISOString().replace(/\.\d+Z$/, 'Z') : '-'];
  });
  const blocks: ReplyBlock[] = [
    {
      type: 'text',
      text: ok
        ? `${target} is running and healthy again: ${m.describe()} restarted in ${formatDuration(tookMs)}.`
        : `${target} did not come back healthy: ${redactor.text(result.reason ?? 'unknown reason')}.`,
    },
    ...(result.lockLost ? [{ type: 'text' as const, text: 'The restart lock was lost while waiting (another process took it), so opsbot stopped waiting.' }] : []),
    table(['Service', 'Before', 'After', 'Restarts', 'Started at'], rows),
  ];
  if (result.checks.length) blocks.push(table(['Check', 'Status', 'Detail'], result.checks.map((c) => [c.name, c.status, redactor.text(c.detail)]), 'Health checks after the restart'));
  if (!ok) blocks.push(...logBlock(result.logs.length ? `Last ${result.logs.length} log lines of ${m.name}` : `Log of ${m.name}`, result.logs));
  return { title: ok ? `Restarted ${target}` : `Restart of ${target} failed`, status: ok ? 'ok' : 'fail', blocks, visibility: 'channel' };
}
