/** `restart <target>`: restarts a target's containers through ContainerRestarts (locked there) and reports how they came back. */
import { z } from 'zod';
import type { Config, TargetContainerConfig } from '../../config/schema.js';
import { defineCommand } from '../../core/command.js';
import { formatDuration } from '../../core/duration.js';
import { isUserError, UserError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { table, type Reply, type ReplyBlock } from '../../core/reply.js';
import { describeSelector, type DockerService } from '../../ops/docker/index.js';
import { MAX_RESTART_CONTAINERS, type ContainerRestarts, type RestartPlan, type RestartResult } from '../../ops/container-restart/index.js';
import { checkName } from '../../ops/probes/index.js';
import { containerTarget, restartBudgetMs, restartChecks, selectorOf, targetArg } from './config.js';
import { shortState } from './format.js';
import { logBlock } from './log-text.js';
import { hostServiceOf, serviceRestartReply, serviceTargets, type ServiceAccess } from './services.js';
import { resolveTarget } from '../targets.js';

export function restartCommand(deps: { targets: Config['targets']; docker: DockerService; restarts: ContainerRestarts; redactor: Redactor; checkTimeoutMs: number; services?: ServiceAccess | undefined }) {
  const { docker, redactor } = deps;
  const withContainers = () => Object.entries(deps.targets).filter(([, t]) => t.container);
  const longestRestart = Math.max(0,
    ...withContainers().map(([, t]) => restartBudgetMs(t.container as TargetContainerConfig, deps.checkTimeoutMs)),
    // A service: the restart command, the wait, a last round of checks, the settle time and its logs.
    ...serviceTargets(deps.targets).map(([, m]) => (m.commandTimeout * 3 + m.restartTimeout + deps.checkTimeoutMs + 20_000) / MAX_RESTART_CONTAINERS));
  /** The target's service manager when it is not Docker (and services are wired). */
  const serviceOf = (name: string) => {
    const [target, t] = resolveTarget(deps.targets, name);
    const m = hostServiceOf(t);
    if (!m) return undefined;
    if (!deps.services) throw new UserError('unavailable', `${target} runs under ${m.kind}, but service managers are not available in this process`);
    return { target, t, m, manager: deps.services.managerOf(target), services: deps.services };
  };
  return defineCommand({
    name: 'restart',
    summary: "Restart a target's containers and wait until they are running and healthy",
    params: [{ name: 'target', kind: 'positional', type: 'string', description: 'Target name', required: true, complete: 'target' }],
    schema: z.object({ target: targetArg }),
    risk: 'dangerous',
    targetOf: (a) => a.target,
    // Each container's wait is bounded by its restartTimeout; the command allows that for up to
    // MAX_RESTART_CONTAINERS containers one after another.
    timeoutMs: Math.max(60_000, longestRestart * MAX_RESTART_CONTAINERS + 30_000),
    async describe(a) {
      const svc = serviceOf(a.target);
      if (svc) {
        const checks = restartChecks(svc.t).map(checkName);
        return `take the restart lock of ${svc.target}, run \`${svc.manager.restartCommand()}\` (${svc.manager.describe()}), `
          + `then wait up to ${formatDuration(svc.m.restartTimeout)} for a new process to run${checks.length ? ` and for the checks ${checks.join(', ')} to pass` : ''}`;
      }
      const [target, t, c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      let which = describeSelector(sel);
      try {
        const found = await docker.list(sel, AbortSignal.timeout(3_000));
        const states = found.map((f) => (sel.name ? `now ${f.state}` : `${f.name}: now ${f.state}`)).join('; ');
        which = found.length === 0
          ? `${which} (no container found right now)`
          : sel.name ? `${which} (${states})` : `the ${found.length} container${found.length === 1 ? '' : 's'} of ${which} (${states})`;
      } catch (e) {
        which += ` (Docker could not be asked: ${isUserError(e) ? e.message : 'error'})`;
      }
      const checks = restartChecks(t).map(checkName);
      return `take the restart lock of ${target}, restart ${which} on ${docker.hostOf(sel)} one at a time (docker restart -t ${Math.round(c.stopTimeout / 1000)}), `
        + `then wait up to ${formatDuration(c.restartTimeout)} for each to run${checks.length ? ` and for the checks ${checks.join(', ')} to pass` : ''}`;
    },
    async run(ctx, a): Promise<Reply> {
      const svc = serviceOf(a.target);
      if (svc) {
        const result = await svc.services.restarts.restart({
          target: svc.target, manager: svc.manager, checks: restartChecks(svc.t),
          checkTimeoutMs: deps.checkTimeoutMs, restartTimeoutMs: svc.m.restartTimeout, logLines: svc.m.logLines, progress: ctx.progress,
        }, { signal: ctx.signal, log: ctx.log });
        return serviceRestartReply(svc.target, result, svc.manager, redactor, (title, lines) => logBlock(title, lines, redactor, false));
      }
      const [target, t, c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      const checks = restartChecks(t);
      const plan: RestartPlan = {
        target, sel, checks,
        stopTimeoutMs: c.stopTimeout,
        restartTimeoutMs: c.restartTimeout,
        checkTimeoutMs: deps.checkTimeoutMs,
        logLines: c.logLines,
        progress: ctx.progress,
      };
      const result = await deps.restarts.restart(plan, { signal: ctx.signal, log: ctx.log });
      return restartReply(target, result, redactor);
    },
  });
}

function restartReply(target: string, result: RestartResult, redactor: Redactor): Reply {
  const { before, containers: results, ok, tookMs } = result;
  const now = Date.now();
  const failed = results.find((r) => !r.ok);
  const notTried = before.slice(results.length);
  const rows = results.map((r) => [
    r.before.name,
    shortState(r.before, now),
    shortState(r.after, now),
    `${r.before.restartCount} → ${r.after?.restartCount ?? '?'}`,
    r.after?.startedAt ? r.after.startedAt.toISOString().replace(/\.\d+Z$/, 'Z') : '-',
    formatDuration(r.tookMs),
    r.ok ? 'ok' : 'FAILED',
  ]);
  for (const c of notTried) rows.push([c.name, shortState(c, now), 'not restarted', String(c.restartCount), '-', '-', 'skipped']);
  const blocks: ReplyBlock[] = [
    {
      type: 'text',
      text: ok
        ? `${target} is running and healthy again: ${results.length} container${results.length === 1 ? '' : 's'} restarted in ${formatDuration(tookMs)}.`
        : `${target} did not come back healthy: ${redactor.text(failed?.reason ?? 'unknown reason')}${notTried.length ? ` (${notTried.length} further container${notTried.length === 1 ? '' : 's'} left alone)` : ''}.`,
    },
    ...(result.lockLost ? [{ type: 'text' as const, text: 'The restart lock was lost while waiting (another process took it), so opsbot stopped waiting.' }] : []),
    table(['Container', 'Before', 'After', 'Restarts', 'Started at', 'Took', 'Result'], rows),
  ];
  const checks = (failed ?? results[results.length - 1])?.checks ?? [];
  if (checks.length) {
    blocks.push(table(['Check', 'Status', 'Detail'], checks.map((c) => [c.name, c.status, redactor.text(c.detail)]), 'Health checks after the restart'));
  }
  if (failed) {
    const who = failed.after?.name ?? failed.before.name;
    blocks.push(...logBlock(failed.logs.length ? `Last ${failed.logs.length} log lines of ${who}` : `Log of ${who}`, failed.logs, redactor, false));
  }
  return { title: ok ? `Restarted ${target}` : `Restart of ${target} failed`, status: ok ? 'ok' : 'fail', blocks, visibility: 'channel' };
}
