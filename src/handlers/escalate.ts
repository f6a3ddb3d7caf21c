/**
 * `escalate <alert> [--to <step|person>]`: move an escalation on by hand — the next step now, a
 * given step (1-based), or a person outside the policy. Being paged for the group grants it.
 */
import { z } from 'zod';
import { defineCommand, type Touch } from '../core/command.js';
import { textReply } from '../core/reply.js';
import type { Escalations } from '../core/escalation/engine.js';

export interface EscalateCommandDeps {
  escalations: Pick<Escalations, 'escalate' | 'get'>;
  /** The targets of the group (its labels), for RBAC. */
  touchesOf: (alert: string) => Promise<Touch[]>;
  isPerson: (id: string) => boolean;
}

const alertId = z.string().trim().toLowerCase().regex(/^[0-9a-f]{4,16}$/, 'an alert id looks like a1b2 (`alerts` lists them)');

export function escalateCommands(deps: EscalateCommandDeps) {
  const target = (to: string | undefined) => {
    if (to === undefined) return undefined;
    if (/^\d+$/.test(to)) return { step: Number(to) };
    return { person: to };
  };
  return [
    defineCommand({
      name: 'escalate',
      summary: 'Escalate an alert group now: the next step, step N, or a person',
      params: [
        { name: 'alert', kind: 'positional', type: 'string', required: true, description: 'Alert id (a1b2)', complete: 'alert' },
        { name: 'to', kind: 'flag', type: 'string', description: 'A step number of the policy, or a person of people:', placeholder: 'STEP|PERSON' },
      ],
      schema: z.object({ alert: alertId, to: z.string().trim().min(1).max(64).optional() }).superRefine((a, ctx) => {
        if (a.to && !/^\d+$/.test(a.to) && !deps.isPerson(a.to)) ctx.addIssue({ code: 'custom', path: ['to'], message: `"${a.to}" is neither a step number nor a person of people:` });
      }),
      risk: 'write',
      touches: (a) => deps.touchesOf(a.alert),
      async describe(a) {
        const rec = await deps.escalations.get(a.alert);
        const t = target(a.to);
        const what = !t ? 'fire its next step now' : 'step' in t ? `fire step ${t.step} now` : `page @${t.person} now`;
        return `${what} for alert ${a.alert}${rec ? ` (policy ${rec.policy.name})` : ' (it has no escalation)'}`;
      },
      async run(ctx, a) {
        const by = ctx.subject.person ?? ctx.subject.display ?? ctx.subject.id;
        const { rec, what } = await deps.escalations.escalate(a.alert, by, target(a.to));
        return textReply(`Escalated ${a.alert}`, 'ok', `${what} (policy ${rec.policy.name}).`, 'channel');
      },
    }),
  ];
}
