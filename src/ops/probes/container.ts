/**
 * `container` (running, and healthy when it has a HEALTHCHECK) and `log-count` (lines matching a
 * pattern in a container's logs over a window, against thresholds) probes.
 */
import type { z } from 'zod';
import type { containerProbeSchema, logCountProbeSchema } from '../../config/schema.js';
import { formatDuration } from '../../core/duration.js';
import { isUserError } from '../../core/errors.js';
import { describeSelector, type ContainerInfo, type ContainerSelector, type DockerService } from '../docker/index.js';
import { logFileCountProbe } from './log-files.js';
import { thresholdStatus, type Probe, type ProbeContext, type ProbeOutcome, type ProbeStatus } from './types.js';

type ContainerProbeConfig = z.infer<typeof containerProbeSchema>;
type LogCountProbeConfig = z.infer<typeof logCountProbeSchema>;

/** The check's own selector, else the target's `container` section; or why there is none. */
function resolve(cfg: ContainerSelector, ctx: ProbeContext): { docker: DockerService; sel: ContainerSelector } | ProbeOutcome {
  const docker = ctx.services?.docker;
  if (!docker) return { status: 'fail', detail: 'Docker is not available to health checks in this process' };
  if (cfg.name || cfg.service) return { docker: docker.service, sel: cfg };
  const own = ctx.target ? docker.containerOf(ctx.target) : undefined;
  if (!own) return { status: 'fail', detail: `target ${ctx.target ?? '?'} has no container configured: give name or service in the check` };
  // A check that says where Docker is (host and/or dockerHost) replaces both of the target's.
  return { docker: docker.service, sel: cfg.dockerHost || cfg.host ? { ...own, dockerHost: cfg.dockerHost, host: cfg.host } : own };
}

function failure(e: unknown): ProbeOutcome {
  return { status: 'fail', detail: isUserError(e) ? e.message : (e as Error).message };
}

/** A container restarted by its policy less than this long ago is a warning, even while it runs. */
export const RECENT_RESTART_MS = 60_000;

/** One container's verdict: running and (when required) healthy. */
export function containerVerdict(c: ContainerInfo, requireHealthy: boolean, now = Date.now()): { status: ProbeStatus; text: string } {
  if (!c.running) {
    const since = c.finishedAt && c.state === 'exited' ? ` for ${formatDuration(now - c.finishedAt.getTime())}` : '';
    const why = c.state === 'exited' ? `exited (code ${c.exitCode}${c.oomKilled ? ', OOM killed' : ''})` : c.state;
    return { status: 'fail', text: `${c.name} ${why}${since}` };
  }
  const upMs = c.startedAt ? now - c.startedAt.getTime() : undefined;
  const up = upMs !== undefined ? ` ${formatDuration(upMs)}` : '';
  // Just started again by its restart policy: likely a crash loop caught while it is up.
  if (c.restartCount > 0 && upMs !== undefined && upMs < RECENT_RESTART_MS) {
    return { status: 'warn', text: `${c.name} running${up}, restarted ${c.restartCount} time${c.restartCount === 1 ? '' : 's'} by its restart policy` };
  }
  if (!c.health) return { status: 'ok', text: `${c.name} running${up}` };
  if (c.health === 'healthy') return { status: 'ok', text: `${c.name} running${up}, healthy` };
  if (!requireHealthy) return { status: 'ok', text: `${c.name} running${up}, ${c.health}` };
  if (c.health === 'starting') return { status: 'warn', text: `${c.name} running${up}, health check starting` };
  return { status: 'fail', text: `${c.name} running${up}, ${c.health}${c.healthOutput ? `: ${c.healthOutput.split('\n')[0]}` : ''}` };
}

export const containerProbe: Probe<ContainerProbeConfig> = async (cfg, ctx) => {
  const r = resolve(cfg, ctx);
  if ('status' in r) return r;
  let list: ContainerInfo[];
  try {
    list = await r.docker.list(r.sel, ctx.signal);
  } catch (e) {
    return failure(e);
  }
  if (list.length === 0) return { status: 'fail', detail: `no container found for ${describeSelector(r.sel)}` };
  const verdicts = list.map((c) => containerVerdict(c, cfg.requireHealthy));
  const status: ProbeStatus = verdicts.some((v) => v.status === 'fail') ? 'fail' : verdicts.some((v) => v.status === 'warn') ? 'warn' : 'ok';
  const running = list.filter((c) => c.running).length;
  return {
    status,
    detail: verdicts.map((v) => v.text).join('; '),
    data: { containers: list.length, running, restarts: list.reduce((n, c) => n + c.restartCount, 0) },
  };
};

export const logCountProbe: Probe<LogCountProbeConfig> = async (cfg, ctx) => {
  if (cfg.files) return logFileCountProbe(cfg, ctx);
  const r = resolve(cfg, ctx);
  if ('status' in r) return r;
  const pattern = new RegExp(cfg.pattern ?? '', cfg.ignoreCase ? 'i' : '');
  const since = new Date(Date.now() - cfg.window);
  let count = 0;
  let scanned = 0;
  let truncated = false;
  try {
    const list = await r.docker.list(r.sel, ctx.signal);
    if (list.length === 0) return { status: 'fail', detail: `no container found for ${describeSelector(r.sel)}` };
    for (const c of list) {
      const res = await r.docker.readLogs(r.sel, c, {
        since,
        stdout: cfg.stream !== 'stderr',
        stderr: cfg.stream !== 'stdout',
        signal: ctx.signal,
        timeoutMs: ctx.timeoutMs,
      }, (line) => {
        // Docker's `since` has one-second resolution: drop what is older than the window.
        if (line.time < since.getTime()) return;
        scanned++;
        if (pattern.test(line.text)) count++;
      });
      truncated ||= res.truncated;
    }
  } catch (e) {
    return failure(e);
  }
  const status = thresholdStatus(count, cfg.failAt, cfg.warnAt);
  const limits = `${cfg.warnAt !== undefined ? `warn at ${cfg.warnAt}, ` : ''}fail at ${cfg.failAt}`;
  return {
    status,
    detail: `${count} line${count === 1 ? '' : 's'} matching /${cfg.pattern ?? ''}/${cfg.ignoreCase ? 'i' : ''} in the last ${formatDuration(cfg.window)} of ${scanned} (${limits})${truncated ? ', log too large: counted the first part only' : ''}`,
    data: { count, scanned },
  };
};
