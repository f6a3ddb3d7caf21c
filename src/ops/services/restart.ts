/**
 * Restarting a service (systemd, pm2, supervisor) and waiting, bounded, until it runs again —
 * a new process (PID or start time changed), not given up on by its manager, up for a settle
 * time — and the target's health checks pass. Knows nothing of chat.
 */
import type { HealthCheckConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { isUserError } from '../../core/errors.js';
import type { LogLine } from '../docker/index.js';
import { checkName, runChecks, type CheckResult, type ProbeServices } from '../probes/index.js';
import type { ServiceManager, ServiceState } from './types.js';
import type { ProgressFn } from '../../core/progress.js';

export interface ServiceRestartPlan {
  target: string;
  /** Told each step as it starts (the restart command, waiting, checks). */
  progress?: ProgressFn | undefined;
  manager: ServiceManager;
  checks: HealthCheckConfig[];
  checkTimeoutMs: number;
  restartTimeoutMs: number;
  logLines: number;
  pollMs?: number;
  /** How long the new process must have been up (same PID and start time) to count (default 1 s). */
  settleMs?: number;
}

export interface ServiceRestartOutcome {
  ok: boolean;
  tookMs: number;
  before: ServiceState[];
  after: ServiceState[];
  reason?: string;
  checks: CheckResult[];
  /** Last log lines, when it failed. */
  logs: LogLine[];
}

function sleep(ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = clock.setTimeout(done, ms);
    function done() {
      t.cancel();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const same = (a: ServiceState, b: ServiceState | undefined) => b !== undefined && a.pid === b.pid && a.startedAt?.getTime() === b.startedAt?.getTime();

function describeState(s: ServiceState): string {
  return `${s.name} is ${s.state}${s.detail ? ` (${s.detail})` : ''}`;
}

/** Why these states do not count as "up again" after the restart, or undefined when they do. */
function notUpYet(before: ServiceState[], now: ServiceState[]): { reason: string; final: boolean } | undefined {
  if (now.length === 0) return { reason: 'no process is listed', final: false };
  const failed = now.find((s) => s.failed);
  if (failed) return { reason: `${describeState(failed)} after the restart`, final: true };
  const down = now.find((s) => !s.running);
  if (down) return { reason: describeState(down), final: false };
  const old = now.find((s) => before.some((b) => b.name === s.name && b.running && same(s, b) && (s.pid !== undefined || s.startedAt !== undefined)));
  if (old) return { reason: `${old.name} still runs the process from before the restart (pid ${old.pid ?? '?'})`, final: false };
  return undefined;
}

async function lastLogs(m: ServiceManager, n: number): Promise<LogLine[]> {
  try {
    return (await m.logs({ tail: n, signal: AbortSignal.timeout(15_000) })).slice(-n);
  } catch (e) {
    return [{ container: m.name, stream: 'stderr', time: Number.NaN, text: `(logs unavailable: ${isUserError(e) ? e.message : (e as Error).message})` }];
  }
}

export async function restartService(plan: ServiceRestartPlan, signal: AbortSignal, services?: ProbeServices, clock: Clock = systemClock): Promise<ServiceRestartOutcome> {
  const { manager } = plan;
  const started = performance.now();
  const deadline = clock.now() + plan.restartTimeoutMs;
  const pollMs = plan.pollMs ?? 500;
  const settleMs = plan.settleMs ?? 1_000;
  const before = await manager.status(signal);
  const out: ServiceRestartOutcome = { ok: false, tookMs: 0, before, after: [], checks: [], logs: [] };
  try {
    plan.progress?.(`Running \`${manager.restartCommand()}\`…`);
    await manager.restart(signal);
    plan.progress?.(`Restarted; waiting for ${manager.name} to run${plan.checks.length ? ' and pass its checks' : ''}…`);
    for (;;) {
      const now = await manager.status(signal);
      out.after = now;
      const why = notUpYet(before, now);
      if (why) {
        out.reason = why.reason;
        if (why.final) break;
      } else {
        if (plan.checks.length) plan.progress?.(`${manager.name} is running; checking ${plan.checks.map(checkName).join(', ')}…`);
        out.checks = await runChecks(plan.checks.map((check) => ({ target: plan.target, check })), plan.checkTimeoutMs, signal, services);
        const failed = out.checks.filter((r) => r.status === 'fail');
        if (failed.length === 0) {
          const upMs = Math.min(...now.map((s) => (s.startedAt ? clock.now() - s.startedAt.getTime() : 0)));
          let still = now;
          if (upMs < settleMs) {
            await sleep(settleMs - Math.max(0, upMs), clock, signal);
            still = await manager.status(signal);
            out.after = still;
          }
          const changed = still.find((s) => !s.running || !same(s, now.find((n) => n.name === s.name)));
          if (!changed) {
            out.ok = true;
            delete out.reason;
            break;
          }
          out.reason = changed.running ? `${changed.name} did not stay up: it was started again (restart count ${changed.restartCount ?? '?'})` : `${describeState(changed)} right after starting`;
        } else {
          out.reason = `${manager.name} is running but ${failed.map((f) => `${f.name} failed (${f.detail})`).join('; ')}`;
        }
      }
      if (signal.aborted) {
        out.reason = `cancelled while waiting: ${out.reason ?? ''}`;
        break;
      }
      if (clock.now() + pollMs > deadline) {
        out.reason = `not healthy within ${Math.round(plan.restartTimeoutMs / 1000)}s: ${out.reason ?? 'no answer'}`;
        break;
      }
      await sleep(pollMs, clock, signal);
    }
  } catch (e) {
    if (!isUserError(e)) throw e;
    out.reason = e.message;
  }
  out.tookMs = Math.round(performance.now() - started);
  if (!out.ok) out.logs = await lastLogs(manager, plan.logLines);
  return out;
}
