/**
 * Restart a target's containers one at a time and wait, bounded, until each runs again (healthy
 * when it has a HEALTHCHECK) and the target's health checks pass. Knows nothing of chat.
 */
import type { HealthCheckConfig } from '../../config/schema.js';
import { isUserError } from '../../core/errors.js';
import type { ContainerInfo, ContainerSelector, DockerService, LogLine } from '../docker/index.js';
import { checkName, runChecks, type CheckResult, type ProbeServices } from '../probes/index.js';
import type { ProgressFn } from '../../core/progress.js';

export interface RestartPlan {
  target: string;
  /** Told each step as it starts (which container, waiting, checks). */
  progress?: ProgressFn | undefined;
  sel: ContainerSelector;
  stopTimeoutMs: number;
  /** Longest wait, per container, from the restart call until it is running and its checks pass (plus at most one round of checks). */
  restartTimeoutMs: number;
  /** The target's health checks a restart waits for. */
  checks: HealthCheckConfig[];
  checkTimeoutMs: number;
  /** Log lines kept when a restart fails. */
  logLines: number;
  /** Pause between two looks at a restarting container (default 500 ms). */
  pollMs?: number;
  /** How long a container must have been up (same start time) to count (default 1 s): a process that dies right away, or crash-loops, may look fine at first. */
  settleMs?: number;
}

export interface ContainerRestart {
  before: ContainerInfo;
  after?: ContainerInfo;
  ok: boolean;
  /** Why it did not come back healthy. */
  reason?: string;
  tookMs: number;
  checks: CheckResult[];
  /** Last log lines, when it failed. */
  logs: LogLine[];
}

export interface RestartOutcome {
  ok: boolean;
  tookMs: number;
  containers: ContainerRestart[];
}

/** Docker will start it again by itself: keep waiting rather than give up. */
function willRestartItself(c: ContainerInfo): boolean {
  if (c.state === 'restarting') return true;
  if (c.restartPolicy === 'always' || c.restartPolicy === 'unless-stopped') return true;
  return c.restartPolicy === 'on-failure' && c.exitCode !== 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function stateText(c: ContainerInfo): string {
  if (c.running) return c.health ? `running, ${c.health}` : 'running';
  return c.state === 'exited' ? `exited with code ${c.exitCode}${c.oomKilled ? ' (OOM killed)' : ''}` : c.state;
}

async function lastLogs(docker: DockerService, plan: RestartPlan, c: ContainerInfo, signal: AbortSignal): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  try {
    await docker.readLogs(plan.sel, c, { tail: plan.logLines, signal, timeoutMs: 10_000 }, (l) => lines.push(l));
  } catch (e) {
    lines.push({ container: c.name, stream: 'stderr', time: Number.NaN, text: `(logs unavailable: ${isUserError(e) ? e.message : (e as Error).message})` });
  }
  return lines.slice(-plan.logLines);
}

async function restartOne(docker: DockerService, plan: RestartPlan, before: ContainerInfo, signal: AbortSignal, services: ProbeServices | undefined): Promise<ContainerRestart> {
  const started = performance.now();
  const deadline = Date.now() + plan.restartTimeoutMs;
  const pollMs = plan.pollMs ?? 500;
  const result: ContainerRestart = { before, ok: false, tookMs: 0, checks: [], logs: [] };
  try {
    await docker.restart(plan.sel, before.id, plan.stopTimeoutMs / 1000, signal);
    plan.progress?.(`${before.name} restarted; waiting for it to run${plan.checks.length ? ' and pass its checks' : ''}…`);
    const settleMs = plan.settleMs ?? 1_000;
    for (;;) {
      const now = await docker.inspect(plan.sel, before.id, signal);
      result.after = now;
      if (!now.running) {
        if (!willRestartItself(now)) {
          result.reason = `${now.name} ${stateText(now)} after the restart${now.error ? `: ${now.error}` : ''}`;
          break;
        }
        result.reason = `${now.name} is ${now.state} (restart policy ${now.restartPolicy})`;
      } else if (now.health && now.health !== 'healthy') {
        result.reason = `${now.name} is running but its Docker health check says ${now.health}${now.healthOutput ? `: ${now.healthOutput.split('\n')[0]}` : ''}`;
      } else {
        // Each round of checks gets its full timeout (a check cut short near the deadline would
        // report a timeout instead of the real failure); the wait overshoots by at most that.
        if (plan.checks.length) plan.progress?.(`${now.name} is running; checking ${plan.checks.map(checkName).join(', ')}…`);
        result.checks = await runChecks(
          plan.checks.map((check) => ({ target: plan.target, check })),
          plan.checkTimeoutMs,
          signal,
          services,
        );
        const failed = result.checks.filter((r) => r.status === 'fail');
        if (failed.length === 0) {
          // Up for settleMs by Docker's own start time, or seen again after the rest of it.
          const upMs = Math.max(0, Date.now() - (now.startedAt?.getTime() ?? Date.now()));
          let still = now;
          if (upMs < settleMs) {
            await sleep(settleMs - upMs, signal);
            still = await docker.inspect(plan.sel, before.id, signal);
            result.after = still;
          }
          if (still.running && still.startedAt?.getTime() === now.startedAt?.getTime()) {
            result.ok = true;
            delete result.reason;
            break;
          }
          result.reason = still.running
            ? `${still.name} did not stay up: it was started again (restart policy ${still.restartPolicy}, restart count ${still.restartCount})`
            : `${still.name} stopped again right after starting (${stateText(still)})`;
        } else {
          result.reason = `${now.name} is running but ${failed.map((f) => `${f.name} failed (${f.detail})`).join('; ')}`;
        }
      }
      if (signal.aborted) {
        result.reason = `cancelled while waiting: ${result.reason ?? ''}`;
        break;
      }
      if (Date.now() + pollMs > deadline) {
        result.reason = `not healthy within ${Math.round(plan.restartTimeoutMs / 1000)}s: ${result.reason ?? 'no answer'}`;
        break;
      }
      await sleep(pollMs, signal);
    }
  } catch (e) {
    if (!isUserError(e)) throw e;
    result.reason = e.message;
  }
  result.tookMs = Math.round(performance.now() - started);
  if (!result.ok) result.logs = await lastLogs(docker, plan, result.after ?? before, AbortSignal.timeout(10_000));
  return result;
}

/** Restarts each container of the plan in turn; stops at the first that does not come back. */
export async function restartContainers(docker: DockerService, plan: RestartPlan, before: ContainerInfo[], signal: AbortSignal, services?: ProbeServices): Promise<RestartOutcome> {
  const started = performance.now();
  const containers: ContainerRestart[] = [];
  for (const [i, c] of before.entries()) {
    plan.progress?.(`Restarting ${c.name} (${i + 1} of ${before.length})…`);
    const r = await restartOne(docker, plan, c, signal, services);
    containers.push(r);
    if (r.ok) plan.progress?.(`${c.name} is running${plan.checks.length ? ' and healthy' : ''} (${i + 1} of ${before.length})`);
    if (!r.ok) break;
  }
  return { ok: containers.length === before.length && containers.every((r) => r.ok), tookMs: Math.round(performance.now() - started), containers };
}

/** Kinds whose answer does not depend on whether the restart worked. */
export const RESTART_IGNORED_KINDS = new Set(['log-count', 'backup-fresh', 'alerts']);
