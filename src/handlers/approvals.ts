/**
 * `approve <id>`, `deny <id> [reason]`, `approvals [--all]`, `approvals show <id>`,
 * `approvals cancel <id>`. RBAC lets everyone reach them (like `help`); the approvals service
 * decides: approving needs an approver role that reaches the request's target and environment,
 * withdrawing needs to be the requester, and the lists show only requests the caller may see.
 */
import { z } from 'zod';
import { defineCommand, type Subject } from '../core/command.js';
import { table, type Reply } from '../core/reply.js';
import { actorName, requestDetails, type ApprovalRequest } from '../core/approvals/index.js';
import { UserError } from '../core/errors.js';

/** What the handlers need of the approvals service. */
export interface Approvals {
  approve(id: string, who: Subject): Promise<Reply>;
  deny(id: string, who: Subject, reason: string | undefined): Promise<Reply>;
  cancel(id: string, who: Subject): Promise<Reply>;
  find(id: string): Promise<ApprovalRequest | null>;
  list(opts: { all?: boolean; limit?: number }): Promise<ApprovalRequest[]>;
  canSee(req: ApprovalRequest, who: Subject): boolean;
}

const requestId = z.string().trim().toLowerCase().regex(/^r[a-z0-9]{2,12}$/, 'An approval request id such as r7k2');
const idParam = { name: 'id', kind: 'positional', type: 'string', required: true, complete: 'request', description: 'The request id (r7k2)' } as const;
/** The service checks each caller's authority on the request itself. */
const filtered = () => 'filtered' as const;
const utc = (d: Date) => new Date(d).toISOString().replace('T', ' ').slice(0, 16);

export function approvalCommands(approvals: Approvals) {
  return [
    defineCommand({
      name: 'approve',
      summary: 'Approve a pending approval request (you need an approver role for its target)',
      params: [idParam],
      schema: z.object({ id: requestId }),
      risk: 'write',
      touches: filtered,
      run: (ctx, a) => approvals.approve(a.id, ctx.subject),
    }),
    defineCommand({
      name: 'deny',
      summary: 'Deny a pending approval request; nothing runs',
      params: [idParam, { name: 'reason', kind: 'positional', type: 'string', rest: true, description: 'Why (shown on the request)' }],
      schema: z.object({ id: requestId, reason: z.string().max(500).optional() }),
      risk: 'write',
      touches: filtered,
      run: (ctx, a) => approvals.deny(a.id, ctx.subject, a.reason),
    }),
    defineCommand({
      name: 'approvals',
      summary: 'List pending approval requests you may see (--all: recent ones too)',
      params: [{ name: 'all', kind: 'flag', type: 'boolean', description: 'Also decided requests' }],
      schema: z.object({ all: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false) }),
      risk: 'read',
      touches: filtered,
      async run(ctx, a) {
        const visible = (await approvals.list({ all: a.all, limit: 200 })).filter((r) => approvals.canSee(r, ctx.subject)).slice(0, 50);
        const title = a.all ? 'Approval requests' : 'Pending approval requests';
        if (!visible.length) return { title, status: 'info', blocks: [{ type: 'text', text: a.all ? 'No approval requests you may see.' : 'Nothing is waiting for approval that you may see.' }], visibility: 'ephemeral' };
        return {
          title, status: 'info', visibility: 'ephemeral',
          blocks: [
            table(['Id', 'State', 'Command', 'Asked by', 'Approvals', 'Expires'], visible.map((r) => [
              r._id, r.state, r.line.length > 60 ? `${r.line.slice(0, 57)}...` : r.line, actorName(r.requester), `${r.approvals.length}/${r.count}`, utc(r.expiresAt),
            ])),
            { type: 'text', text: '`approvals show <id>` for one in full; `approve <id>` / `deny <id> [reason]` to decide.' },
          ],
        };
      },
    }),
    defineCommand({
      name: 'approvals show',
      summary: 'Show one approval request in full',
      params: [idParam],
      schema: z.object({ id: requestId }),
      risk: 'read',
      touches: filtered,
      async run(ctx, a) {
        const req = await approvals.find(a.id);
        // A request the caller may not see reads as unknown: ids are not an oracle.
        if (!req || !approvals.canSee(req, ctx.subject)) throw new UserError('not_found', `No approval request ${a.id} that you may see. \`approvals\` lists them.`);
        return requestDetails(req);
      },
    }),
    defineCommand({
      name: 'approvals cancel',
      summary: 'Withdraw your own pending approval request',
      params: [idParam],
      schema: z.object({ id: requestId }),
      risk: 'write',
      touches: filtered,
      run: (ctx, a) => approvals.cancel(a.id, ctx.subject),
    }),
  ];
}
