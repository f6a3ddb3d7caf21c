/**
 * What an escalation says in chat: the page (a direct message with Acknowledge / Escalate now),
 * the line in the alert group's thread, "nobody is on call", and the escalation's state for the
 * group message. Neutral replies; each surface renders them.
 */
import { counts, groupName, severityOf, type AlertGroup } from '../alerts/group.js';
import { formatDuration } from '../duration.js';
import { fields, type Reply, type ReplyBlock } from '../reply.js';
import type { Mention } from '../mentions.js';
import { describeStep, type Fired, type MachineState, type PolicySnapshot } from './machine.js';

export interface PageRecord {
  /** Person id, or the channel / address / URL for other targets. */
  who: string;
  via: string;
  step: number;
  pass: number;
  at: Date;
  /** The outbox key and channel of the message this page posted (DMs, channel pages): updated when the escalation stops. */
  key?: string;
  channel?: string;
  /** The platform refused the direct message for good: the person was mentioned in the alert's channels instead. */
  refused?: { reason: string; at: Date };
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

export function renderPageLine(g: AlertGroup, p: PolicySnapshot, f: Fired, paged: string[], opts: {
  lateMs?: number | undefined; nextAt?: number | undefined; by?: string | undefined;
  /** Why nobody was reached, and where the "nobody on call" alert went. */
  nobody?: { reasons: string[]; channel: string } | undefined;
}): Reply {
  const who = paged.length ? `paged ${paged.join(', ')}` : 'paged nobody';
  const next = opts.nextAt !== undefined ? [{ type: 'text' as const, text: `Next step at ${iso(opts.nextAt)} unless someone acknowledges.` }] : [];
  const nobody = opts.nobody ? [{ type: 'text' as const, text: `Nobody on call: ${opts.nobody.reasons.join('; ')}. Alert OpsbotNobodyOnCall raised in ${opts.nobody.channel}.` }] : [];
  return {
    title: `${who}, ${describeStep(p, f)}${opts.by ? ` (escalated by ${opts.by})` : ''}`,
    status: paged.length ? 'info' : 'fail',
    blocks: [...nobody, ...next, ...lateNote(f, opts.lateMs)],
    visibility: 'channel',
  };
}

/**
 * The page in the channel for a person whose direct message was refused: says so, pings them
 * (`mentions`: their identity on this channel's surface), and tells them how to acknowledge.
 */
export function renderDmFallback(g: AlertGroup, p: PolicySnapshot, page: Pick<PageRecord, 'who' | 'step' | 'pass'>, reason: string, mentions: Mention[]): Reply {
  return {
    title: `Could not DM @${page.who} (${reason}) — @${page.who}, you are paged for ${groupName(g)} (${g._id})`,
    status: 'fail',
    blocks: [
      fields({ Alert: g._id, Severity: severityOf(g), Escalation: `${p.name}, ${describeStep(p, page)}` }),
      { type: 'text', text: `Acknowledge or escalate it with the buttons on the alert's message in this channel, or type \`ack ${g._id}\`: being paged lets @${page.who} do both.` },
    ],
    ...(mentions.length ? { mentions } : {}),
    visibility: 'channel',
  };
}

/**
 * The thread line of a step after a person's direct message was refused: `paged @carol (DM
 * refused)` instead of `paged @carol`, and why. Applying it twice changes nothing.
 */
export function refusedLine(line: Reply, person: string, reason: string): Reply {
  const note = `Could not DM @${person} (${reason}); mentioned in the channel instead.`;
  if (line.blocks?.some((b) => b.type === 'text' && b.text === note)) return line;
  const cut = line.title.indexOf(', step ');
  const head = cut < 0 ? line.title : line.title.slice(0, cut);
  const escaped = person.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  const name = new RegExp(`@${escaped}${String.raw`(?![\w.-]| \(DM refused\))`}`);
  const title = `${head.replace(name, `@${person} (DM refused)`)}${cut < 0 ? '' : line.title.slice(cut)}`;
  return { ...line, title, blocks: [{ type: 'text', text: note }, ...(line.blocks ?? [])] };
}

/** Why an escalation stopped, as people read it: `acknowledged by @alice`. */
export function stoppedText(g: AlertGroup): string {
  const at = (d: Date | undefined) => (d ? ` at ${iso(d.getTime())}` : '');
  if (g.open && g.ackedAt) return `acknowledged by @${(g.ackedBy ?? 'someone').replace(/^@/, '')}${at(g.ackedAt)}`;
  if (!g.open) return `resolved${g.resolvedBy ? ` by @${g.resolvedBy.replace(/^@/, '')}` : ''}${at(g.resolvedAt)}`;
  return 'stopped';
}

/** A page after its escalation stopped: the same message, without buttons, saying who acknowledged (or that it resolved). */
export function renderPageClosed(g: AlertGroup, p: PolicySnapshot, page: Pick<PageRecord, 'step' | 'pass'>): Reply {
  const summary = g.commonAnnotations.summary ?? g.commonAnnotations.description;
  const acked = g.open && Boolean(g.ackedAt);
  return {
    title: `${acked ? 'Acknowledged' : 'Resolved'}: ${groupName(g)} (${g._id})`,
    status: 'ok',
    blocks: [
      ...(summary ? [{ type: 'text' as const, text: summary }] : []),
      fields({ Alert: g._id, Severity: severityOf(g), Escalation: `${p.name}, ${describeStep(p, page)}` }),
      { type: 'text', text: `${stoppedText(g).replace(/^./, (c) => c.toUpperCase())}; nobody else will be paged for it.` },
    ],
    visibility: 'channel',
  };
}

/** How a page reads in the group message: `@alice`, `bob@example.com (email)`, `slack:C0OPS`, `webhook`. */
function pagedName(x: PageRecord): string | undefined {
  if (x.via.startsWith('failed')) return undefined;
  if (x.via.startsWith('dm:')) return x.refused ? `@${x.who} (DM refused, mentioned in the channel)` : `@${x.who}`;
  if (x.via === 'email') return `${x.who} (email)`;
  if (x.via === 'webhook') return 'webhook';
  return x.who;
}

/**
 * The escalation's state, for the alert group's message: the step, who was paged and when, when
 * the next step fires. `g` (the group as it is being shown) wins over a record not yet stopped.
 */
export function escalationBlock(p: PolicySnapshot, m: MachineState, pages: PageRecord[], now: number, g?: AlertGroup): ReplyBlock {
  const over = g && (!g.open || g.ackedAt) && m.phase !== 'stopped';
  const state = over ? `stopped, ${stoppedText(g)}`
    : m.phase === 'running' ? `next step ${m.step + 1} of ${p.steps.length}${p.repeat ? ` (pass ${m.pass + 1})` : ''} at ${iso(m.dueAt)}, in ${formatDuration(Math.max(0, m.dueAt - now))}`
      : m.phase === 'paused' ? 'paused (silenced or under maintenance)'
        : m.phase === 'stopped' ? `stopped, ${m.stopReason ?? 'done'}` : 'every step fired';
  const lines = new Map<string, string>();
  for (const x of pages) {
    const name = pagedName(x);
    if (!name) continue;
    const step = `step ${x.step + 1}${p.repeat ? `, pass ${x.pass + 1}` : ''}`;
    lines.set(`${name} ${step}`, `${name} (${step}, ${iso(x.at.getTime())})`);
  }
  return fields({
    Escalation: `${p.name}: ${m.fired.length} of ${p.steps.length * (p.repeat + 1)} step(s) fired; ${state}`,
    Paged: lines.size ? [...lines.values()].join(', ') : undefined,
  });
}
