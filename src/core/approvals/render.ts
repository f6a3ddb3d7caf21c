/** The request message as every surface shows it (neutral Reply), in each of its states, and the answers around it. */
import { fields, type Reply, type Status } from '../reply.js';
import { actorName, type ApprovalRequest } from './request.js';

const utc = (d: Date) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

function headline(r: ApprovalRequest): { title: string; status: Status; line: string } {
  const by = r.approvals.map(actorName).join(', ');
  switch (r.state) {
    case 'pending':
      return { title: `Approval needed: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'warn', line: r.approvals.length ? `Approved by ${by}; ${r.count - r.approvals.length} more approval(s) needed.` : `Waiting for ${r.count} approval(s).` };
    case 'approved':
    case 'executing':
      return { title: `Approved: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'info', line: `Approved by ${by}. Running as ${actorName(r.requester)}…` };
    case 'executed': {
      const ok = r.execution?.outcome === 'ok';
      return { title: `Approved and ${ok ? 'done' : 'failed'}: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: ok ? 'ok' : 'fail', line: `Approved by ${by}; ran as ${actorName(r.requester)}: ${r.execution?.outcome ?? 'unknown'}${r.execution?.message ? ` (${r.execution.message})` : ''}. The result is in the thread.` };
    }
    case 'denied':
      return { title: `Denied: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'denied', line: `Denied by ${r.denial ? actorName(r.denial) : 'someone'}${r.denial?.reason ? `: ${r.denial.reason}` : ''}. Nothing was run.` };
    case 'expired':
      return { title: `Expired: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'fail', line: `Nobody approved it before ${utc(r.expiresAt)}. Nothing was run.` };
    case 'cancelled':
      return { title: `Cancelled: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'info', line: `Withdrawn by ${r.cancelledBy ? actorName(r.cancelledBy) : actorName(r.requester)}. Nothing was run.` };
    case 'interrupted':
      return { title: `Interrupted: ${r.command}${r.target ? ` on ${r.target}` : ''}`, status: 'error', line: `Approved by ${by}, but ${r.interruption ?? 'the bot stopped before it finished'}. It is not run again: check the target, then ask again if needed.` };
  }
}

/** The request message: who asks, the exact command, where, what will be done, why, who may approve, until when. */
export function requestMessage(r: ApprovalRequest): Reply {
  const h = headline(r);
  const reply: Reply = {
    title: h.title,
    status: h.status,
    blocks: [
      { type: 'text', text: `${actorName(r.requester)} asks to run:` },
      { type: 'code', text: r.line },
      fields({
        Request: r._id,
        Target: r.target ? `${r.target}${r.environment ? ` (${r.environment})` : ''}` : undefined,
        'Will do': r.description,
        Reason: r.reason ?? '(none given)',
        Approvals: `${r.approvals.length} of ${r.count}, from ${r.approverRoles.join(' or ')} (not the requester)`,
        Expires: utc(r.expiresAt),
      }),
      { type: 'text', text: h.line },
    ],
    visibility: 'channel',
    footer: `approval ${r._id} · ref ${r.invocationId}`,
  };
  if (r.state === 'pending') {
    reply.blocks.push({ type: 'text', text: `Type \`approve ${r._id}\` or \`deny ${r._id} [reason]\`, or press a button.` });
    reply.buttons = [
      { label: 'Approve', command: `approve ${r._id}`, style: 'primary' },
      { label: 'Deny', command: `deny ${r._id}`, style: 'danger' },
    ];
  }
  return reply;
}

/** What the asker is told when the gate holds their command. */
export function heldReply(r: ApprovalRequest): Reply {
  const where = r.channels.length ? `Posted in ${r.channels.join(', ')}.` : 'It is posted nowhere (no channel): an approver sees it with `approvals`.';
  return {
    title: `Approval requested: ${r._id}`,
    status: 'info',
    blocks: [
      { type: 'text', text: `\`${r.line}\` needs ${r.count} approval(s) from ${r.approverRoles.join(' or ')} before it runs. ${where} It expires at ${utc(r.expiresAt)}.` },
      { type: 'text', text: `An approver types \`approve ${r._id}\` (or \`deny ${r._id} [reason]\`); you can withdraw it with \`approvals cancel ${r._id}\`.` },
    ],
    visibility: 'ephemeral',
  };
}

/** The executed command's result, posted in the request's thread. */
export function resultMessage(r: ApprovalRequest, result: Reply): Reply {
  return { ...result, title: `${result.title} (approval ${r._id}, asked by ${actorName(r.requester)}, approved by ${r.approvals.map(actorName).join(', ')})`, visibility: 'channel' };
}

/** A break-glass run: posted loudly where the request would have gone. */
export function breakGlassMessage(call: { line: string; who: string; role: string; target?: string | undefined; environment?: string | undefined; invocationId: string }): Reply {
  return {
    title: `BREAK-GLASS: ${call.who} ran a command that needs approval`,
    status: 'warn',
    blocks: [
      { type: 'code', text: call.line },
      fields({ By: call.who, Role: call.role, Target: call.target ? `${call.target}${call.environment ? ` (${call.environment})` : ''}` : undefined }),
      { type: 'text', text: 'It ran without approval under the break-glass role; the audit trail records it as such.' },
    ],
    visibility: 'channel',
    footer: `ref ${call.invocationId}`,
  };
}

export function requestDetails(r: ApprovalRequest): Reply {
  const msg = requestMessage(r);
  const extra = fields({
    State: r.state,
    'Asked by': `${actorName(r.requester)} (${r.requester.id}) on ${r.surface}`,
    'Asked at': utc(r.createdAt),
    Approvers: r.approvals.map((a) => `${actorName(a)} at ${utc(a.at)}`).join(', ') || undefined,
    Decided: r.decidedAt ? utc(r.decidedAt) : undefined,
    Result: r.execution?.outcome ? `${r.execution.outcome}${r.execution.code ? ` (${r.execution.code})` : ''}${r.execution.invocationId ? `, ref ${r.execution.invocationId}` : ''}` : undefined,
    Policy: `approvals.${r.rule}`,
  });
  return { ...msg, blocks: [...msg.blocks, extra], visibility: 'ephemeral' };
}
