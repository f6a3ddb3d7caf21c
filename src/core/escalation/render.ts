/**
 * What an escalation says in chat: the page (a direct message with Acknowledge / Escalate now),
 * the line in the alert group's thread, "nobody is on call", and the escalation's state for the
 * group message. Neutral replies; each surface renders them.
 */
import { counts, groupName, severityOf, type AlertGroup } from '../alerts/group.js';
import { formatDuration } from '../duration.js';
import { fields, type Reply, type ReplyBlock } from '../reply.js';
import { describeStep, type Fired, type MachineState, type PolicySnapshot } from './machine.js';

export interface PageRecord {
  /** Person id, or the channel / address / URL for other targets. */
  who: string;
  via: string;
  step: number;
  pass: number;
  at: Date;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function lateNote(f: Fired, lateMs: number | undefined): ReplyBlock[] {
  if (lateMs === undefined) return [];
  return [{ type: 'text', text: `Late by ${formatDuration(lateMs)}: this step was due at ${iso(f.dueAt)} while the bot was down.` }];
}

export function renderPage(g: AlertGroup, p: PolicySnapshot, f: Fired, opts: { lateMs?: number | undefined; by?: string | undefined }): Reply {
  const summary = g.commonAnnotations.summary ?? g.commonAnnotations.description;
  return {
    title: `Paged: ${groupName(g)} (${g._id})`,
    status: 'fail',
    blocks: [
      ...(summary ? [{ type: 'text' as const, text: summary }] : []),
      fields({
        Alert: g._id,
        Severity: severityOf(g),
        Firing: counts(g).firing,
        Since: iso(g.firstSeenAt.getTime()),
        Escalation: `${p.name}, ${describeStep(p, f)}`,
        ...(opts.by ? { 'Escalated by': opts.by } : {}),
      }),
      ...lateNote(f, opts.lateMs),
    ],
    buttons: [
      { label: 'Acknowledge', command: `ack ${g._id}`, style: 'primary' },
      { label: 'Escalate now', command: `escalate ${g._id}`, style: 'danger' },
    ],
    visibility: 'channel',
  };
}

export function renderPageLine(g: AlertGroup, p: PolicySnapshot, f: Fired, paged: string[], opts: { lateMs?: number | undefined; nextAt?: number | undefined; by?: string | undefined }): Reply {
  const who = paged.length ? `paged ${paged.join(', ')}` : 'paged nobody';
  const next = opts.nextAt !== undefined ? [{ type: 'text' as const, text: `Next step at ${iso(opts.nextAt)} unless someone acknowledges.` }] : [];
  return {
    title: `${who}, ${describeStep(p, f)}${opts.by ? ` (escalated by ${opts.by})` : ''}`,
    status: 'info',
    blocks: [...next, ...lateNote(f, opts.lateMs)],
    visibility: 'channel',
  };
}

export function renderNobody(g: AlertGroup, p: PolicySnapshot, f: Fired, reasons: string[]): Reply {
  return {
    title: `Nobody on call: ${groupName(g)} (${g._id})`,
    status: 'fail',
    blocks: [
      { type: 'text', text: `Escalation ${p.name}, ${describeStep(p, f)} reached no one: ${reasons.join('; ')}. Fix the schedule or add an override (\`oncall override <schedule> <person> <duration>\`).` },
    ],
    buttons: [
      { label: 'Acknowledge', command: `ack ${g._id}`, style: 'primary' },
      { label: 'Escalate now', command: `escalate ${g._id}`, style: 'danger' },
    ],
    visibility: 'channel',
  };
}

/** The escalation's state, for the alert group's message. */
export function escalationBlock(p: PolicySnapshot, m: MachineState, pages: PageRecord[], now: number): ReplyBlock {
  const last = pages[pages.length - 1];
  const state = m.phase === 'running'
    ? `next step ${m.step + 1} of ${p.steps.length} in ${formatDuration(Math.max(0, m.dueAt - now))} (${iso(m.dueAt)})`
    : m.phase === 'paused' ? 'paused (silenced or under maintenance)'
      : m.phase === 'stopped' ? `stopped: ${m.stopReason ?? 'done'}` : 'every step fired';
  return fields({
    Escalation: `${p.name}: ${state}`,
    Paged: last ? pages.filter((x) => x.via.startsWith('dm') || x.via === 'email').map((x) => `@${x.who} (step ${x.step + 1}, ${iso(x.at.getTime())})`).join(', ') || undefined : undefined,
  });
}
