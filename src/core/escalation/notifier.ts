/**
 * Sends one fired step to its targets: direct messages and channel lines through the outbox
 * (keys derived from the escalation, the pass and the step, so a step delivered again after a
 * crash updates the same messages instead of posting new ones), e-mail through SMTP and webhooks
 * directly (chat may be down). A step that reaches nobody raises the `OpsbotNobodyOnCall` alert
 * (nobody.ts), which goes to the fallback channel.
 */
import type { Logger } from 'pino';
import type { NotifyTarget } from '../../config/oncall-schema.js';
import type { AlertGroup } from '../alerts/group.js';
import { groupName, severityOf } from '../alerts/group.js';
import type { People } from '../people.js';
import { groupMention, mentionsFor } from '../mentions.js';
import type { Reply } from '../reply.js';
import { errorMessage } from '../errors.js';
import type { OnCall } from '../oncall/service.js';
import { dmAddress } from './dm-gateway.js';
import { describeStep, type Fired, type PolicySnapshot } from './machine.js';
import { renderPage, renderPageLine, type PageRecord } from './render.js';
import type { Mailer } from './mailer.js';
import { nobodyOnCallPayload, type Miss } from './nobody.js';
import type { WebhookPayload } from '../alerts/payload.js';

/** The outbox as escalations use it (`Outbox.enqueue`). */
export interface PageOutbox {
  enqueue(key: string, channel: string, reply: Reply, opts?: { kind?: 'message' | 'reply'; parent?: string; priority?: number }): Promise<void>;
  /** The message as queued or sent (`Outbox.get`): a step's thread line is rewritten when a DM is refused. */
  get?(key: string): Promise<{ reply: Reply; state?: 'pending' | 'sent' | 'dead'; lastError?: string | undefined } | null>;
}

export interface NotifierDeps {
  oncall: OnCall;
  people: People;
  outbox: PageOutbox;
  /** The key of the alert group's message in a channel (its thread gets the page lines). */
  groupMessageKey: (groupId: string, channel: string) => string;
  fallbackChannel: string;
  /** Where "nobody on call" is raised as an alert (`AlertService.receive`). */
  alerts: { receive(payload: WebhookPayload): Promise<unknown> };
  mailer?: Mailer | undefined;
  log: Logger;
  webhookTimeoutMs?: number;
}

export interface StepContext {
  escalationId: string;
  group: AlertGroup;
  policy: PolicySnapshot;
  fired: Fired;
  lateMs?: number | undefined;
  nextAt?: number | undefined;
  /** The person who escalated by hand. */
  by?: string | undefined;
}


export class Notifier {
  constructor(private readonly d: NotifierDeps) {}

  /** Sends the step; returns what was paged (for the record and the RBAC grant). */
  async send(c: StepContext): Promise<PageRecord[]> {
    const { fired, policy, group } = c;
    const step = policy.steps[fired.step];
    if (!step) return [];
    const key = (suffix: string) => `esc:${c.escalationId}:${fired.pass}.${fired.step}:${suffix}`;
    const at = new Date(fired.firedAt);
    const pages: PageRecord[] = [];
    const nobody: Miss[] = [];
    const paged: string[] = [];
    const page = renderPage(group, policy, fired, { lateMs: c.lateMs, by: c.by });
    const record = (who: string, via: string, message?: { key: string; channel: string }) => pages.push({ who, via, step: fired.step, pass: fired.pass, at, ...message });

    const pagePerson = async (personId: string) => {
      const person = this.d.people.get(personId);
      if (!person) {
        nobody.push({ person: personId, reason: `"${personId}" is not in people:` });
        return;
      }
      for (const identity of person.identities) {
        const message = { key: key(`dm:${identity}`), channel: dmAddress(identity) };
        await this.d.outbox.enqueue(message.key, message.channel, page, { priority: 0 });
        record(person.id, `dm:${identity}`, message);
      }
      paged.push(`@${person.id}`);
    };

    for (const t of step.notify) {
      try {
        await this.target(t, { c, key, at, page, record, pagePerson, nobody, paged });
      } catch (e) {
        this.d.log.error({ err: e, escalation: c.escalationId, target: describeTarget(t) }, 'escalation target failed');
        record(describeTarget(t), `failed: ${errorMessage(e).slice(0, 200)}`);
      }
    }
    for (const miss of nobody) {
      try {
        await this.d.alerts.receive(nobodyOnCallPayload(miss, group, policy, fired));
        record('nobody', `alert:${this.d.fallbackChannel}`);
      } catch (e) {
        this.d.log.error({ err: e, escalation: c.escalationId }, 'could not raise the nobody-on-call alert');
        record('nobody', `failed: ${errorMessage(e).slice(0, 200)}`);
      }
    }
    const line = renderPageLine(group, policy, fired, paged.length ? paged : nobody.length ? [] : pages.map((p) => p.who), {
      lateMs: c.lateMs, nextAt: c.nextAt, by: c.by,
      ...(nobody.length ? { nobody: { reasons: nobody.map((m) => m.reason), channel: this.d.fallbackChannel } } : {}),
    });
    for (const r of group.routes) {
      await this.d.outbox.enqueue(key(`line:${r.channel}`), r.channel, line, { kind: 'reply', parent: this.d.groupMessageKey(group._id, r.channel) });
    }
    return pages;
  }

  private async target(t: NotifyTarget, x: {
    c: StepContext; key: (s: string) => string; at: Date; page: Reply; record: (who: string, via: string, message?: { key: string; channel: string }) => void;
    pagePerson: (p: string) => Promise<void>; nobody: Miss[]; paged: string[];
  }): Promise<void> {
    const { c } = x;
    if ('schedule' in t) {
      const reach = await this.d.oncall.reach(t.schedule, t.layer, x.at);
      if ('person' in reach) await x.pagePerson(reach.person);
      else x.nobody.push({ schedule: t.schedule, reason: reach.nobody });
    } else if ('person' in t) {
      await x.pagePerson(t.person);
    } else if ('group' in t) {
      const group = groupMention(t.group);
      const message = { key: x.key(`group:${t.group}`), channel: t.channel };
      await this.d.outbox.enqueue(message.key, message.channel, { ...x.page, ...(group ? { mentions: mentionsFor([group], t.channel) } : {}) });
      x.record(t.group, `channel:${t.channel}`, message);
      x.paged.push(t.group);
    } else if ('channel' in t) {
      const mentions = mentionsFor(t.mention, t.channel, this.d.people);
      const message = { key: x.key(`channel:${t.channel}`), channel: t.channel };
      await this.d.outbox.enqueue(message.key, message.channel, { ...x.page, ...(mentions.length ? { mentions } : {}) });
      x.record(t.channel, `channel:${t.channel}`, message);
      x.paged.push(t.channel);
    } else if ('email' in t) {
      const address = t.email.includes('@') ? t.email : this.d.people.get(t.email)?.email;
      if (!address) throw new Error(`no email address for ${t.email}`);
      if (!this.d.mailer) throw new Error('oncall.email is not configured');
      await this.d.mailer.send({
        to: address,
        subject: `[${severityOf(c.group)}] ${groupName(c.group)} (${c.group._id}) — ${describeStep(c.policy, c.fired)}`,
        text: pageText(c),
      });
      x.record(t.email, 'email');
      x.paged.push(t.email.includes('@') ? t.email : `@${t.email}`);
    } else {
      await this.postWebhook(t.webhook, t.headers, c);
      x.record(t.webhook, 'webhook');
      x.paged.push('webhook');
    }
  }

  private async postWebhook(url: string, headers: Record<string, string>, c: StepContext): Promise<void> {
    const body = {
      kind: 'opsbot.page',
      alert: { id: c.group._id, name: groupName(c.group), severity: severityOf(c.group), labels: c.group.commonLabels, annotations: c.group.commonAnnotations },
      escalation: { id: c.escalationId, policy: c.policy.name, step: c.fired.step + 1, steps: c.policy.steps.length, pass: c.fired.pass + 1 },
      firedAt: new Date(c.fired.firedAt).toISOString(),
      late: c.lateMs !== undefined,
    };
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.d.webhookTimeoutMs ?? 10_000) });
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}

function pageText(c: StepContext): string {
  const g = c.group;
  return [
    `${groupName(g)} (${g._id}), severity ${severityOf(g)}`,
    g.commonAnnotations.summary ?? g.commonAnnotations.description ?? '',
    `Escalation ${c.policy.name}, ${describeStep(c.policy, c.fired)}.`,
    c.lateMs !== undefined ? `This step fires late: the bot was down when it was due.` : '',
    `Acknowledge in chat: ack ${g._id}`,
  ].filter(Boolean).join('\n');
}

export function describeTarget(t: NotifyTarget): string {
  if ('schedule' in t) return `schedule ${t.schedule}${t.layer !== 'current' ? ` (${t.layer})` : ''}`;
  if ('person' in t) return `@${t.person}`;
  if ('group' in t) return `${t.group} in ${t.channel}`;
  if ('channel' in t) return t.channel;
  if ('email' in t) return `email ${t.email}`;
  return `webhook ${new URL(t.webhook).host}`;
}
