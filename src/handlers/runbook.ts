/**
 * `runbook list` · `runbook show <name|run-id>` · `runbook <name> [target] [--param k=v,…] [--alert id]` ·
 * `runbook cancel <run-id>` · `runbook resume <run-id>`. Starting returns the run id at once;
 * the run goes on in the background and shows itself in one living message.
 */
import { z } from 'zod';
import { defineCommand, type Access, type CommandContext, type Touch } from '../core/command.js';
import { fields, table, textReply, type Reply } from '../core/reply.js';
import type { Runbooks } from '../core/runbooks/executor.js';
import { parseParams } from '../core/runbooks/values.js';
import { progressReply } from '../core/runbooks/progress.js';
import type { RunRecord } from '../core/runbooks/run.js';

export interface RunbookCommandDeps {
  runbooks: Runbooks;
  /** What a `--dry-run` of one command line would do, within the caller's access. */
  describeLine: (line: string, access: Access) => Promise<string>;
  /** The clock's time (durations in `runbook show`). */
  now: () => number;
}

const runId = z.string().trim().toLowerCase().regex(/^[0-9a-f]{8}$/, 'a run id looks like 3f9a2c1b (`runbook list` shows recent runs)');
const runParam = { name: 'run', kind: 'positional', type: 'string', required: true, description: 'Run id (3f9a2c1b)' } as const;
const who = (ctx: CommandContext) => ctx.subject.display ?? ctx.subject.id;

export function runbookCommands(deps: RunbookCommandDeps) {
  const { runbooks } = deps;
  const runTouches = async (id: string): Promise<Touch[]> => {
    const run = await runbooks.get(id);
    return run?.target ? [{ target: run.target }] : [];
  };
  const startArgs = z.object({
    name: z.string().trim().min(1),
    target: z.string().trim().min(1).optional(),
    param: z.string().optional(),
    alert: z.string().trim().toLowerCase().regex(/^[0-9a-f]{4,16}$/, 'an alert id looks like a1b2').optional(),
  });
  type StartArgs = z.infer<typeof startArgs>;
  const planOf = (a: StartArgs) => runbooks.plan({ runbook: a.name, target: a.target, params: parseParams(a.param), alert: a.alert });

  return [
    defineCommand({
      name: 'runbook list',
      summary: 'Configured runbooks and recent runs',
      params: [],
      schema: z.object({}),
      risk: 'read',
      touches: () => 'filtered',
      async run(ctx) {
        const rows = runbooks.names().map((n) => {
          const d = runbooks.definition(n);
          return [n, d.description ?? '', d.params.join(', '), String(d.steps.length)];
        });
        const runs = (await runbooks.recent(10)).filter((r) => !r.target || ctx.access.canSee(r.target));
        const runRows = runs.map((r) => [r._id, r.runbook, r.target ?? '', r.state, `${Math.min(r.step + 1, r.steps.length)}/${r.steps.length}`, new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')]);
        const reply: Reply = { title: `Runbooks (${rows.length})`, status: 'info', blocks: [] };
        reply.blocks.push(rows.length ? table(['Runbook', 'Description', 'Params', 'Steps'], rows) : { type: 'text', text: 'No runbooks configured (`runbooks:` in the config).' });
        if (runRows.length) reply.blocks.push(table(['Run', 'Runbook', 'Target', 'State', 'Step', 'Started (UTC)'], runRows, 'Recent runs'));
        return reply;
      },
    }),
    defineCommand({
      name: 'runbook show',
      summary: 'The steps of a runbook, or the progress of a run',
      params: [{ name: 'name', kind: 'positional', type: 'string', required: true, description: 'Runbook name or run id', complete: 'runbook' }],
      schema: z.object({ name: z.string().trim().min(1) }),
      risk: 'read',
      touches: () => 'filtered',
      async run(ctx, a) {
        if (!runbooks.names().includes(a.name) && /^[0-9a-f]{8}$/.test(a.name)) {
          const run = await runbooks.mustGet(a.name);
          if (run.target && !ctx.access.canSee(run.target)) return textReply('Not allowed', 'denied', `run ${run._id} is on a target outside your scope`, 'ephemeral');
          return { ...progressReply(run, deps.now()), visibility: 'ephemeral' };
        }
        const d = runbooks.definition(a.name);
        const rows = d.steps.map((s, i) => {
          const how = s.kind === 'watch' ? `every ${s.everyMs / 1000}s for ${s.forMs / 1000}s` : [s.approval ? 'approval' : '', s.expect ? 'expect ok' : ''].filter(Boolean).join(', ');
          return [String(i + 1), s.kind, s.line, [how, s.continue ? 'continue on failure' : ''].filter(Boolean).join(', ')];
        });
        return {
          title: `Runbook ${a.name}`,
          status: 'info',
          blocks: [
            ...(d.description ? [{ type: 'text' as const, text: d.description }] : []),
            fields({ Params: d.params.join(', ') || 'none', Start: `runbook ${a.name}${d.params.includes('target') ? ' <target>' : ''}` }),
            table(['#', 'Kind', 'Command', 'How'], rows),
          ],
        };
      },
    }),
    defineCommand({
      name: 'runbook cancel',
      summary: 'Stop a runbook run before its next step',
      params: [runParam],
      schema: z.object({ run: runId }),
      risk: 'write',
      touches: (a) => runTouches(a.run),
      describe: async (a) => `cancel run ${a.run} (${(await runbooks.mustGet(a.run)).state}) before its next step`,
      async run(ctx, a) {
        const run = await runbooks.cancel(a.run, who(ctx));
        return textReply(`Run ${run._id} cancelled`, 'ok', `${run.runbook} stopped at step ${Math.min(run.step + 1, run.steps.length)} of ${run.steps.length}; a step already running finishes.`, 'channel');
      },
    }),
    defineCommand({
      name: 'runbook resume',
      summary: 'Go on with an interrupted runbook run, from the step it was on',
      params: [runParam],
      schema: z.object({ run: runId }),
      risk: 'write',
      touches: (a) => runTouches(a.run),
      describe: async (a) => {
        const run = await runbooks.mustGet(a.run);
        return `resume run ${a.run} (${run.state}) at step ${run.step + 1}: ${run.steps[run.step]?.line ?? 'nothing left'}`;
      },
      async run(ctx, a) {
        const run = await runbooks.resume(a.run, who(ctx));
        return textReply(`Run ${run._id} resumed`, 'ok', `${run.runbook} goes on at step ${run.step + 1} of ${run.steps.length}: \`${run.steps[run.step]?.line ?? ''}\`.`, 'channel');
      },
    }),
    defineCommand({
      name: 'runbook',
      summary: 'Start a runbook (returns its run id; the run goes on in the background)',
      params: [
        { name: 'name', kind: 'positional', type: 'string', required: true, description: 'Runbook name', complete: 'runbook' },
        { name: 'target', kind: 'positional', type: 'string', description: 'Target, for runbooks with a target param', complete: 'target' },
        { name: 'param', kind: 'flag', type: 'string', placeholder: 'K=V,…', description: 'Further params: name=value pairs separated by commas' },
        { name: 'alert', kind: 'flag', type: 'string', placeholder: 'ID', description: "Start from an alert group: its labels and annotations fill the templates", complete: 'alert' },
      ],
      schema: startArgs,
      risk: 'write',
      targetOf: (a) => a.target,
      touches: async (a) => {
        const plan = await planOf(a).catch(() => undefined);
        return plan?.target ? [{ target: plan.target }] : [];
      },
      timeoutMs: 30_000,
      describe: async (a, access) => {
        const { lines } = await planOf(a);
        const def = runbooks.definition(a.name);
        const out: string[] = [];
        for (const [i, line] of lines.entries()) {
          const s = def.steps[i];
          const how = s?.kind === 'watch' ? ` (every ${s.everyMs / 1000}s for ${s.forMs / 1000}s, stops at the first failure)` : s?.approval ? ' (after approval)' : '';
          out.push(`${i + 1}. \`${line}\`${how}: ${await deps.describeLine(line, access)}`);
        }
        return `start runbook ${a.name}, ${lines.length} steps:\n${out.join('\n')}`;
      },
      async run(ctx, a) {
        const run = await runbooks.startRun({
          runbook: a.name, target: a.target, params: parseParams(a.param), alert: a.alert,
          subject: ctx.subject, surface: ctx.surface, channel: ctx.channel, invocationId: ctx.invocationId,
        });
        return startedReply(run);
      },
    }),
  ];
}

function startedReply(run: RunRecord): Reply {
  const where = run.channels.length ? `Progress: ${run.channels.join(', ')} (one message, updated in place).` : `Progress: \`runbook show ${run._id}\`.`;
  return {
    title: `Runbook ${run.runbook} started: run ${run._id}`,
    status: 'info',
    blocks: [{ type: 'text', text: `${run.steps.length} steps${run.target ? ` on ${run.target}` : ''}. ${where}` }],
    buttons: [{ label: 'Cancel', command: `runbook cancel ${run._id}`, style: 'danger' }],
    visibility: 'channel',
  };
}
