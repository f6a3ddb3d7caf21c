/**
 * Container commands: `status [target]` (the `docker-compose ps` of a target), `restart <target>`
 * (locked per target, waits until healthy) and `logs <target> [--lines N] [--grep TEXT] [--since DURATION]`.
 */
import { z } from 'zod';
import type { Config, TargetConfig, TargetContainerConfig } from '../config/schema.js';
import { defineCommand } from '../core/command.js';
import type { Coordination } from '../core/coordination/types.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UserError, isUserError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import { fields, table, worstStatus, type Reply, type ReplyBlock, type Status } from '../core/reply.js';
import { describeSelector, type ContainerInfo, type ContainerSelector, type DockerService, type LogLine } from '../ops/docker.js';
import { RESTART_IGNORED_KINDS, restartContainers, type ContainerRestart, type RestartPlan } from '../ops/container-restart.js';
import { checkName, type ProbeServices } from '../ops/probes/index.js';
import { probeKindsOf } from '../config/schema.js';
import { containerVerdict } from '../ops/probes/container.js';
import { hiddenNote, inScope, resolveTarget, resolveTargets, singleTarget, targetOrAllParam } from './targets.js';

export interface ContainerDeps {
  targets: Config['targets'];
  docker: DockerService;
  coordination: Coordination;
  redactor: Redactor;
  checkTimeoutMs: number;
  probeServices?: ProbeServices;
}

/** Characters of log text a reply carries at most (Slack section text is 3,000). */
export const LOG_CHAR_BUDGET = 2_800;
const LINE_MAX = 300;
/** Lines scanned at most when `--grep` filters (Docker's tail is applied before our filter). */
export const GREP_SCAN_LINES = 50_000;
const MAX_SINCE_MS = 30 * 86_400_000;

const targetArg = z.string().min(1).max(64);
/** Containers one `restart` restarts at most (one at a time, each waited for). */
export const MAX_RESTART_CONTAINERS = 10;

/** Longest one container's restart may take: stop grace, the wait, a last round of checks, Docker calls and logs. */
function restartBudgetMs(c: TargetContainerConfig, checkTimeoutMs: number): number {
  return c.stopTimeout + c.restartTimeout + checkTimeoutMs + 20_000;
}

export function selectorOf(c: TargetContainerConfig): ContainerSelector {
  return { name: c.name, service: c.service, project: c.project, dockerHost: c.dockerHost };
}

function containerTarget(targets: Config['targets'], name: string): [string, TargetConfig, TargetContainerConfig] {
  const [target, t] = resolveTarget(targets, name);
  if (!t.container) throw new UserError('invalid', `Target "${target}" has no container configured (add a \`container:\` section with name or service).`);
  return [target, t, t.container];
}

/** The checks a restart waits for: `waitFor` by name, or all but those a restart does not change. */
export function restartChecks(t: TargetConfig) {
  const wanted = t.container?.waitFor;
  if (wanted) {
    const known = new Map(t.health.map((c) => [checkName(c), c]));
    const missing = wanted.filter((n) => !known.has(n));
    if (missing.length) throw new UserError('invalid', `container.waitFor names checks that do not exist: ${missing.join(', ')} (checks: ${[...known.keys()].join(', ') || 'none'})`);
    return wanted.map((n) => known.get(n) as TargetConfig['health'][number]);
  }
  return t.health.filter((c) => !probeKindsOf(c).some((k) => RESTART_IGNORED_KINDS.has(k)));
}

function uptime(c: ContainerInfo, now: number): string {
  if (c.running && c.startedAt) return formatDuration(now - c.startedAt.getTime());
  if (c.finishedAt) return `down ${formatDuration(now - c.finishedAt.getTime())}`;
  return '-';
}

function stateCell(c: ContainerInfo): string {
  if (c.state === 'exited') return `exited (${c.exitCode})${c.oomKilled ? ' OOM' : ''}`;
  return c.state;
}

function shortState(c: ContainerInfo | undefined, now: number): string {
  if (!c) return '-';
  return `${stateCell(c)}${c.health ? `, ${c.health}` : ''}${c.running ? ` (up ${uptime(c, now)})` : ''}`;
}

/** Log lines as text that fits the budget: newest kept, with a count of what was left out. */
export function renderLogLines(lines: LogLine[], redactor: Redactor, opts: { multi: boolean; budget?: number }): { text: string; shown: number; omitted: number } {
  const budget = opts.budget ?? LOG_CHAR_BUDGET;
  const out: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as LogLine;
    const time = Number.isNaN(l.time) ? '' : `${new Date(l.time).toISOString().slice(11, 19)} `;
    // Redact only what can be shown (bounded work on huge lines), drop terminal control
    // characters (colour codes, bells), then cut to LINE_MAX.
    const visible = l.text.length > LINE_MAX * 4 ? l.text.slice(0, LINE_MAX * 4) : l.text;
    // eslint-disable-next-line no-control-regex
    let text = redactor.text(visible).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
    if (text.length > LINE_MAX) text = `${text.slice(0, LINE_MAX)}… (+${Math.max(1, l.text.length - LINE_MAX)} chars)`;
    const row = `${time}${opts.multi ? `${l.container} ` : ''}${l.stream === 'stderr' ? 'err' : 'out'} | ${text}`;
    if (used + row.length + 1 > budget && out.length > 0) break;
    out.push(row);
    used += row.length + 1;
  }
  out.reverse();
  return { text: out.join('\n'), shown: out.length, omitted: lines.length - out.length };
}

function logBlock(title: string, lines: LogLine[], redactor: Redactor, multi: boolean): ReplyBlock[] {
  if (lines.length === 0) return [{ type: 'text', text: `${title}: no log lines.` }];
  const r = renderLogLines(lines, redactor, { multi });
  return [
    { type: 'code', title, text: r.text },
    ...(r.omitted ? [{ type: 'text' as const, text: `${r.omitted} earlier line${r.omitted === 1 ? '' : 's'} not shown (output limit).` }] : []),
  ];
}

/** One lock per container set (host + name or project/service): two targets naming the same container share it. */
export function restartLockKey(docker: DockerService, sel: ContainerSelector): string {
  return `restart:${docker.hostOf(sel)}:${sel.name ? sel.name.replace(/^\//, '') : `${sel.project ?? '*'}/${sel.service}`}`;
}

function statusOfContainer(c: ContainerInfo): Status {
  return containerVerdict(c, true).status;
}

export function containerCommands(deps: ContainerDeps) {
  const { docker, redactor } = deps;
  const withContainers = () => Object.entries(deps.targets).filter(([, t]) => t.container);
  const longestRestart = Math.max(0, ...withContainers().map(([, t]) => restartBudgetMs(t.container as TargetContainerConfig, deps.checkTimeoutMs)));

  const status = defineCommand({
    name: 'status',
    summary: 'Containers of a target (or all): state, health, uptime, restart count, image',
    params: [targetOrAllParam],
    schema: z.object({ target: targetArg.optional() }),
    risk: 'read',
    targetOf: (a) => singleTarget(a.target),
    touches: () => 'filtered',
    describe: (a, access) => {
      const list = a.target && a.target !== 'all' ? [containerTarget(deps.targets, a.target)] : inScope(access, withContainers()).visible;
      return `inspect the containers of ${list.map(([n, , c]) => `${n} (${describeSelector(selectorOf(c as TargetContainerConfig))} on ${docker.hostOf(selectorOf(c as TargetContainerConfig))})`).join(', ') || 'no targets'}; nothing is changed`;
    },
    async run(ctx, a): Promise<Reply> {
      const one = a.target && a.target !== 'all';
      const { visible: list, hidden } = inScope<TargetContainerConfig>(ctx.access, one
        ? [containerTarget(deps.targets, a.target as string)].map(([n, , c]) => [n, c] as [string, TargetContainerConfig])
        : resolveTargets(deps.targets, undefined).filter(([, t]) => t.container).map(([n, t]) => [n, t.container as TargetContainerConfig]));
      if (list.length === 0) return { title: 'Containers', status: 'info', blocks: [{ type: 'text', text: `No target${hidden ? ' in your scope' : ''} has a container configured.` }, ...hiddenNote(hidden)], visibility: 'ephemeral' };
      const now = Date.now();
      const results = await Promise.all(list.map(async ([name, c]) => {
        try {
          return { name, c, containers: await docker.list(selectorOf(c), ctx.signal) };
        } catch (e) {
          if (one || !isUserError(e)) throw e;
          return { name, c, error: e.message };
        }
      }));
      const rows: string[][] = [];
      const statuses: Status[] = [];
      for (const r of results) {
        if ('error' in r) {
          rows.push([r.name, '-', '-', `error: ${r.error}`, '-', '-', '-']);
          statuses.push('fail');
        } else if (r.containers.length === 0) {
          rows.push([r.name, '-', '-', `no container for ${describeSelector(selectorOf(r.c))}`, '-', '-', '-']);
          statuses.push('fail');
        } else {
          for (const c of r.containers) {
            rows.push([r.name, c.name, c.image, stateCell(c), c.health ?? '-', uptime(c, now), String(c.restartCount)]);
            statuses.push(statusOfContainer(c));
          }
        }
      }
      const st = worstStatus(statuses, 'info');
      const down = rows.filter((_, i) => statuses[i] !== 'ok').length;
      return {
        title: `Containers: ${one ? a.target : 'all targets'}`,
        status: st,
        blocks: [
          { type: 'text', text: down ? `${down} of ${rows.length} not running and healthy.` : `${rows.length} container${rows.length === 1 ? '' : 's'} running${rows.length ? ' and healthy' : ''}.` },
          table(['Target', 'Container', 'Image', 'State', 'Health', 'Uptime', 'Restarts'], rows),
          ...hiddenNote(hidden),
        ],
        visibility: 'channel',
      };
    },
  });

  const restart = defineCommand({
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
      const [target, t, c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      const checks = restartChecks(t);
      // Held for as long as the command may run; released as soon as it ends.
      const lock = await deps.coordination.tryLock(restartLockKey(docker, sel), Math.max(60_000, longestRestart * MAX_RESTART_CONTAINERS + 60_000));
      if (!lock) throw new UserError('conflict', `A restart of ${target} (${describeSelector(sel)}) is already running; wait for it to finish.`);
      try {
        const before = await docker.list(sel, ctx.signal);
        if (before.length === 0) throw new UserError('not_found', `No container found for ${describeSelector(sel)} on ${docker.hostOf(sel)}.`);
        if (before.length > MAX_RESTART_CONTAINERS) {
          throw new UserError('invalid', `${describeSelector(sel)} has ${before.length} containers; restart restarts at most ${MAX_RESTART_CONTAINERS} one after another. Narrow the target (project or name).`);
        }
        const plan: RestartPlan = {
          target, sel, checks,
          stopTimeoutMs: c.stopTimeout,
          restartTimeoutMs: c.restartTimeout,
          checkTimeoutMs: deps.checkTimeoutMs,
          logLines: c.logLines,
        };
        ctx.log.info({ target, containers: before.map((b) => b.name) }, 'restarting containers');
        const outcome = await restartContainers(docker, plan, before, ctx.signal, deps.probeServices);
        return restartReply(target, before, outcome.containers, outcome.ok, outcome.tookMs, redactor);
      } finally {
        await lock.release();
      }
    },
  });

  const logs = defineCommand({
    name: 'logs',
    summary: "Recent log lines of a target's containers (stdout and stderr), secrets redacted",
    params: [
      { name: 'target', kind: 'positional', type: 'string', description: 'Target name', required: true, complete: 'target' },
      { name: 'lines', kind: 'flag', type: 'number', description: 'How many lines (default 50, at most 1000)', placeholder: 'N' },
      { name: 'grep', kind: 'flag', type: 'string', description: 'Only lines containing this text (case-insensitive, plain text)', placeholder: 'TEXT' },
      { name: 'since', kind: 'flag', type: 'string', description: 'Only lines newer than this: 30m, 2h, 1d', placeholder: 'DURATION' },
    ],
    schema: z.object({
      target: targetArg,
      lines: z.coerce.number().int().min(1).max(1000).default(50),
      grep: z.string().min(1).max(200).optional(),
      since: z.string().max(20).optional().transform((v, ctx) => {
        if (v === undefined) return undefined;
        const ms = parseDuration(v);
        if (ms === undefined || ms <= 0 || ms > MAX_SINCE_MS) {
          ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration up to 30d (use e.g. 30m, 2h, 1d)` });
          return z.NEVER;
        }
        return ms;
      }),
    }),
    risk: 'read',
    targetOf: (a) => a.target,
    describe: (a) => {
      const [target, , c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      return `read the last ${a.lines} log lines (stdout and stderr) of ${describeSelector(sel)} of ${target} on ${docker.hostOf(sel)}`
        + `${a.since ? ` from the last ${formatDuration(a.since)}` : ''}${a.grep ? ` containing "${a.grep}" (plain text, case-insensitive)` : ''}; nothing is changed`;
    },
    async run(ctx, a): Promise<Reply> {
      const [target, , c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      const containers = await docker.list(sel, ctx.signal);
      if (containers.length === 0) throw new UserError('not_found', `No container found for ${describeSelector(sel)} on ${docker.hostOf(sel)}.`);
      const since = a.since ? new Date(Date.now() - a.since) : undefined;
      const needle = a.grep?.toLowerCase();
      const kept: LogLine[] = [];
      let matched = 0;
      let scanned = 0;
      let truncated = false;
      for (const ct of containers) {
        const mine: LogLine[] = [];
        const res = await docker.readLogs(sel, ct, {
          ...(since ? { since } : {}),
          tail: needle ? GREP_SCAN_LINES : a.lines,
          signal: ctx.signal,
        }, (line) => {
          if (since && line.time < since.getTime()) return;
          scanned++;
          if (needle && !line.text.toLowerCase().includes(needle)) return;
          matched++;
          mine.push(line);
          if (mine.length > a.lines) mine.shift();
        });
        truncated ||= res.truncated;
        kept.push(...mine);
      }
      // Several containers: merge by time, keep the newest N overall.
      const ordered = containers.length > 1 ? kept.map((l, i) => [l, i] as const).sort((x, y) => (x[0].time - y[0].time) || (x[1] - y[1])).map(([l]) => l) : kept;
      const lines = ordered.slice(-a.lines);
      const multi = containers.length > 1;
      const rendered = renderLogLines(lines, redactor, { multi });
      const notShown = matched - rendered.shown;
      const filters = [a.since ? `last ${formatDuration(a.since)}` : undefined, a.grep ? `containing "${redactor.text(a.grep)}"` : undefined].filter(Boolean).join(', ');
      const summary = needle
        ? `${matched} matching line${matched === 1 ? '' : 's'} of ${scanned} scanned${scanned >= GREP_SCAN_LINES * containers.length ? ` (only the last ${GREP_SCAN_LINES} lines of each container are searched)` : ''}`
        : `${rendered.shown} line${rendered.shown === 1 ? '' : 's'}`;
      return {
        title: `Logs: ${target}${filters ? ` (${filters})` : ''}`,
        status: 'info',
        blocks: [
          fields({ Containers: containers.map((x) => x.name).join(', '), Lines: summary }),
          ...(rendered.shown ? [{ type: 'code' as const, text: rendered.text }] : [{ type: 'text' as const, text: 'No log lines match.' }]),
          ...(notShown > 0 ? [{ type: 'text' as const, text: `${notShown} earlier line${notShown === 1 ? '' : 's'} not shown (use --lines, --grep or --since to narrow).` }] : []),
          ...(truncated ? [{ type: 'text' as const, text: 'The log was too large to read completely; only its first part was searched.' }] : []),
        ],
        visibility: 'ephemeral',
      };
    },
  });

  return [status, restart, logs];
}

function restartReply(target: string, before: ContainerInfo[], results: ContainerRestart[], ok: boolean, tookMs: number, redactor: Redactor): Reply {
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
