/** `health [target|all]`: every configured check of the target(s), in parallel, as one report. */
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { table, worstStatus, type Reply } from '../core/reply.js';
import type { Config } from '../config/schema.js';
import { isSkipped, runChecks, type CheckResult, type ProbeServices } from '../ops/probes/index.js';
import { withoutProbeInternals } from './check-errors.js';
import { hiddenNote, inScope, resolveTargets, singleTarget, targetOrAllParam } from './targets.js';

export interface HealthDeps {
  targets: Config['targets'];
  checkTimeoutMs: number;
  /** Connections probes need (Docker for `container` and `log-count`). */
  probeServices?: ProbeServices;
}

const STATUS_LABEL = { ok: 'ok', warn: 'warn', fail: 'FAIL' } as const;

export function healthReport(title: string, results: CheckResult[]): Reply {
  const status = worstStatus(results.map((r) => r.status), 'info');
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  const skipped = results.filter(isSkipped).length;
  const summary = results.length === 0
    ? 'No health checks are configured.'
    : `${results.length - failed - warned - skipped} ok, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  return {
    title,
    status,
    blocks: [
      { type: 'text', text: summary },
      ...(results.length
        ? [table(['Target', 'Check', 'Status', 'Detail', 'Time'], results.map((r) => [r.target, r.name, isSkipped(r) ? 'skipped' : STATUS_LABEL[r.status], r.detail, `${r.durationMs}ms`]))]
        : []),
    ],
    visibility: 'channel',
  };
}

export function healthCommands(deps: HealthDeps) {
  return [
    defineCommand({
      name: 'health',
      summary: 'Run the health checks of a target, or of all targets',
      params: [targetOrAllParam],
      schema: z.object({ target: z.string().max(64).optional() }),
      risk: 'read',
      targetOf: (a) => singleTarget(a.target),
      touches: () => 'filtered',
      describe: (a, access) => {
        const { visible: list } = inScope(access, resolveTargets(deps.targets, a.target));
        return `run ${list.reduce((n, [, t]) => n + t.health.length, 0)} health checks on ${list.map(([n]) => n).join(', ') || 'no targets'}`;
      },
      async run(ctx, a) {
        const { visible: list, hidden } = inScope(ctx.access, resolveTargets(deps.targets, a.target));
        const checks = list.flatMap(([target, t]) => t.health.map((check) => ({ target, check })));
        const results = withoutProbeInternals(ctx, await runChecks(checks, deps.checkTimeoutMs, ctx.signal, deps.probeServices));
        const report = healthReport(`Health: ${singleTarget(a.target) ?? 'all targets'}`, results);
        return { ...report, blocks: [...report.blocks, ...hiddenNote(hidden)] };
      },
    }),
  ];
}
