/**
 * The `runbooks:` config section: named sequences of command lines, templated with `{{param}}`,
 * `{{labels.X}}` and `{{annotations.X}}`, some behind an approval, some watched over time.
 *
 *   runbooks:
 *     service-down:
 *       description: Container down — check, restart, verify, watch
 *       params: [target]
 *       steps:
 *         - run: "status {{target}}"
 *         - run: "restart {{target}}"
 *           approval: true
 *         - watch: "health {{target}}"
 *           every: 1m
 *           for: 15m
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { placeholdersOf, RESERVED_RUNBOOK_NAMES } from '../core/runbooks/template.js';
import type { RunbookDefinition, RunbookStep } from '../core/runbooks/definition.js';

const ms = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const out = parseDuration(v);
  if (out === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 1m, 15m)` });
    return z.NEVER;
  }
  return out;
});

const line = z.string().trim().min(1).max(500);
const paramName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,39}$/, 'A parameter name: a letter or "_", then letters, digits, "_" or "-"');
export const runbookName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'A runbook name: lower-case letters, digits, "_" and "-"');

/** One step as written: `run:` (with expect / continue / approval) or `watch:` (with every / for). */
const stepSchema = z.object({
  /** Shown in the progress list instead of the command line. */
  name: z.string().min(1).max(80).optional(),
  run: line.optional(),
  watch: line.optional(),
  /** `ok`: the step fails unless its reply's status is ok (a `warn` fails it too). */
  expect: z.literal('ok').optional(),
  /** Go on with the next step even when this one fails. */
  continue: z.boolean().default(false),
  /** The step's command needs an approval (the matching approvals rule, else `approvals.default`). */
  approval: z.boolean().default(false),
  every: ms.optional(),
  for: ms.optional(),
}).strict().superRefine((s, ctx) => {
  if (Boolean(s.run) === Boolean(s.watch)) ctx.addIssue({ code: 'custom', path: ['run'], message: 'A step has exactly one of run or watch' });
  if (s.watch) {
    if (s.every === undefined) ctx.addIssue({ code: 'custom', path: ['every'], message: 'A watch step needs every (e.g. 1m)' });
    if (s.for === undefined) ctx.addIssue({ code: 'custom', path: ['for'], message: 'A watch step needs for (e.g. 15m)' });
    if (s.every !== undefined && s.every < 1000) ctx.addIssue({ code: 'custom', path: ['every'], message: 'every must be at least 1s' });
    if (s.every !== undefined && s.for !== undefined) {
      if (s.for < s.every) ctx.addIssue({ code: 'custom', path: ['for'], message: 'for must be at least every' });
      if (s.for / s.every > 1000) ctx.addIssue({ code: 'custom', path: ['for'], message: 'at most 1000 repetitions (for / every)' });
    }
    if (s.expect !== undefined) ctx.addIssue({ code: 'custom', path: ['expect'], message: 'expect belongs to a run step (a watch step stops at its first failure)' });
    if (s.approval) ctx.addIssue({ code: 'custom', path: ['approval'], message: 'approval belongs to a run step' });
  } else {
    if (s.every !== undefined) ctx.addIssue({ code: 'custom', path: ['every'], message: 'every belongs to a watch step' });
    if (s.for !== undefined) ctx.addIssue({ code: 'custom', path: ['for'], message: 'for belongs to a watch step' });
  }
}).transform((s): RunbookStep => {
  const base = { ...(s.name ? { name: s.name } : {}), continue: s.continue };
  return s.watch
    ? { kind: 'watch', line: s.watch, everyMs: s.every as number, forMs: s.for as number, ...base }
    : { kind: 'run', line: s.run as string, approval: s.approval, ...(s.expect ? { expect: s.expect } : {}), ...base };
});

const runbookSchema = z.object({
  description: z.string().min(1).max(300).optional(),
  /** Names the steps use as `{{name}}`; `target` is filled by `runbook <name> <target>`. */
  params: z.array(paramName).max(20).default([]),
  steps: z.array(stepSchema).min(1).max(50),
}).strict().superRefine((rb, ctx) => {
  rb.steps.forEach((step, i) => {
    if (typeof step?.line !== 'string') return;
    for (const name of placeholdersOf(step.line)) {
      if (name.startsWith('labels.') || name.startsWith('annotations.')) continue;
      if (!rb.params.includes(name)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, step.kind], message: `{{${name}}} is neither a param (${rb.params.join(', ') || 'none'}) nor labels.<name> / annotations.<name>` });
      }
    }
  });
});

export const runbooksSchema = z.record(runbookName, runbookSchema).superRefine((all, ctx) => {
  for (const name of Object.keys(all)) {
    if (RESERVED_RUNBOOK_NAMES.includes(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is a subcommand of runbook; choose another name` });
  }
}) satisfies z.ZodType<Record<string, RunbookDefinition>>;

const isUrl = (v: string) => /^https?:\/\//i.test(v);

/** `alerting.routes[].runbook` names a configured runbook unless it is a URL; `autoRun` needs one. */
export function checkRunbookRefs(
  cfg: { runbooks: Record<string, unknown>; alerting: { routes: readonly { runbook?: string | undefined; autoRun?: boolean | undefined }[] } },
  ctx: z.RefinementCtx,
): void {
  const names = Object.keys(cfg.runbooks);
  cfg.alerting.routes.forEach((r, i) => {
    if (r.runbook && !isUrl(r.runbook) && !names.includes(r.runbook)) {
      ctx.addIssue({ code: 'custom', path: ['alerting', 'routes', i, 'runbook'], message: `Unknown runbook "${r.runbook}" (defined: ${names.join(', ') || 'none'}; or give a URL)` });
    }
    if (r.autoRun && (!r.runbook || isUrl(r.runbook))) {
      ctx.addIssue({ code: 'custom', path: ['alerting', 'routes', i, 'autoRun'], message: 'autoRun needs runbook: <name of a configured runbook>' });
    }
  });
}
