/** An alert group (and a storm digest) as a platform-neutral Reply; each surface renders it. */
import { formatDuration } from '../duration.js';
import type { Reply, ReplyBlock, ReplyButton, Status } from '../reply.js';
import { counts, groupName, severityOf, stateOf, type AlertGroup, type GroupState } from './group.js';
import type { RouteTarget } from './routing.js';

export interface RenderOptions {
  now?: Date;
  /** Duration label of the Silence button (`1h`). */
  silenceButton?: string;
  /** Most alerts listed in the table. */
  maxRows?: number;
  /** Blocks shown after the fields (the escalation's state). */
  extra?: ReplyBlock[];
}

const HIDDEN_LABELS = new Set(['alertname', 'severity']);

function statusFor(state: GroupState, severity: string, style: RouteTarget['style']): Status {
  if (state === 'resolved') return 'ok';
  if (state === 'silenced') return 'info';
  if (style) return style === 'danger' ? 'fail' : style === 'warning' ? 'warn' : 'info';
  if (/^(critical|error|high|page)$/i.test(severity)) return 'fail';
  if (/^(info|none|low)$/i.test(severity)) return 'info';
  return 'warn';
}

const iso = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function firstAnnotation(g: AlertGroup, key: string): string | undefined {
  return g.commonAnnotations[key] ?? g.alerts.find((a) => a.annotations[key])?.annotations[key];
}

function labelText(labels: Record<string, string>, skip: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k]) => !HIDDEN_LABELS.has(k) && skip[k] === undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function stateLine(g: AlertGroup, state: GroupState): string {
  switch (state) {
    case 'resolved': return g.resolvedBy ? `RESOLVED by ${g.resolvedBy}` : 'RESOLVED';
    case 'silenced': return `SILENCED until ${iso(g.silencedUntil as Date)} by ${g.silencedBy ?? '?'}`;
    case 'acknowledged': return `ACKNOWLEDGED by ${g.ackedBy ?? '?'} at ${iso(g.ackedAt as Date)}`;
    case 'firing': return 'FIRING';
  }
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

export function renderGroup(g: AlertGroup, target: Pick<RouteTarget, 'mentions' | 'style' | 'runbook'>, opts: RenderOptions = {}): Reply {
  const now = opts.now ?? new Date();
  const state = stateOf(g, now.getTime());
  const severity = severityOf(g);
  const { firing, resolved } = counts(g);
  const name = groupName(g);
  const started = g.alerts.reduce<Date | undefined>((min, a) => (!min || a.startsAt < min ? a.startsAt : min), undefined) ?? g.firstSeenAt;
  const until = state === 'resolved' ? (g.resolvedAt ?? g.updatedAt) : now;
  const blocks: ReplyBlock[] = [];

  const text: string[] = [];
  const summary = firstAnnotation(g, 'summary');
  const description = firstAnnotation(g, 'description') ?? firstAnnotation(g, 'message');
  if (summary) text.push(summary);
  if (description && description !== summary) text.push(description);
  if (text.length) blocks.push({ type: 'text', text: text.join('\n') });

  const distinguishing = labelText(g.commonLabels, {});
  blocks.push({
    type: 'fields',
    fields: [
      { label: 'Status', value: stateLine(g, state) },
      { label: 'Severity', value: severity },
      { label: 'Alert', value: name },
      { label: 'Firing', value: String(firing) },
      { label: 'Resolved', value: String(resolved) },
      { label: 'Started', value: `${iso(started)} (${formatDuration(Math.max(0, until.getTime() - started.getTime()))}${state === 'resolved' ? '' : ' ago'})` },
      ...(distinguishing ? [{ label: 'Labels', value: distinguishing }] : []),
      ...(g.truncatedAlerts > 0 ? [{ label: 'Truncated', value: `${g.truncatedAlerts} more alert(s) not sent by Alertmanager (max_alerts)` }] : []),
      { label: 'Id', value: g._id },
    ],
  });
  if (opts.extra) blocks.push(...opts.extra);

  const maxRows = opts.maxRows ?? 10;
  if (g.alerts.length > 1 || labelText(g.alerts[0]?.labels ?? {}, g.commonLabels)) {
    const rows = g.alerts
      .slice()
      .sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1))
      .slice(0, maxRows)
      .map((a) => [a.status, labelText(a.labels, g.commonLabels) || '-', iso(a.startsAt), a.annotations.summary && a.annotations.summary !== summary ? a.annotations.summary : '']);
    const more = g.alerts.length - rows.length;
    blocks.push({ type: 'table', columns: ['Status', 'Labels', 'Started', 'Summary'], rows, ...(more > 0 ? { title: `Alerts (first ${rows.length} of ${g.alerts.length})` } : {}) });
  }

  const links: { label: string; url: string }[] = [];
  const generator = g.alerts.find((a) => a.generatorURL)?.generatorURL;
  if (generator && isUrl(generator)) links.push({ label: 'Source', url: generator });
  const runbookUrl = firstAnnotation(g, 'runbook_url');
  if (runbookUrl && isUrl(runbookUrl)) links.push({ label: 'Runbook', url: runbookUrl });
  if (g.externalURL && isUrl(g.externalURL)) {
    const filter = Object.entries(g.groupLabels).map(([k, v]) => `${k}="${v}"`).join(',');
    links.push({ label: 'Alertmanager', url: `${g.externalURL.replace(/\/$/, '')}/#/alerts${filter ? `?filter=${encodeURIComponent(`{${filter}}`)}` : ''}` });
  }
  if (links.length) blocks.push({ type: 'links', links });

  const buttons: ReplyButton[] = [];
  if (state !== 'resolved') {
    if (state !== 'acknowledged' && !g.ackedAt) buttons.push({ label: 'Acknowledge', command: `ack ${g._id}`, style: 'primary' });
    buttons.push({ label: 'Resolve', command: `resolve ${g._id}` });
    if (state !== 'silenced') {
      const d = opts.silenceButton ?? '1h';
      buttons.push({ label: `Silence ${d}`, command: `silence ${g._id} ${d}`, style: 'danger' });
    }
    if (target.runbook) {
      if (isUrl(target.runbook)) buttons.push({ label: 'Runbook', url: target.runbook });
      // The group's labels and annotations reach the runbook's templating through --alert.
      else buttons.push({ label: 'Run runbook', command: `runbook ${target.runbook} --alert ${g._id}` });
    }
  }

  const word = state === 'resolved' ? 'RESOLVED' : state === 'firing' ? `FIRING:${firing}` : `${state.toUpperCase()}:${firing}`;
  return {
    title: `[${word}] ${name}`,
    status: statusFor(state, severity, target.style),
    blocks,
    ...(buttons.length ? { buttons } : {}),
    ...(target.mentions?.length && state === 'firing' ? { mentions: target.mentions } : {}),
    visibility: 'channel',
    footer: `alert ${g._id} · receiver ${g.receiver}${g.occurrence > 1 ? ` · occurrence ${g.occurrence}` : ''}`,
  };
}

/** The short reply posted in the message's thread when a group resolves. */
export function renderResolvedNote(g: AlertGroup, now = new Date()): Reply {
  const started = g.alerts.reduce<Date>((min, a) => (a.startsAt < min ? a.startsAt : min), g.firstSeenAt);
  const took = formatDuration(Math.max(0, (g.resolvedAt ?? now).getTime() - started.getTime()));
  return {
    title: `Resolved: ${groupName(g)} (${g._id})`,
    status: 'ok',
    blocks: [{ type: 'text', text: `${g.resolvedBy ? `Resolved by ${g.resolvedBy}` : 'All alerts resolved'} after ${took}.` }],
    visibility: 'channel',
  };
}

/** A storm digest: one message that names every group it holds, with counts and severities. */
export function renderDigest(groups: AlertGroup[], opts: { now?: Date; total?: number } = {}): Reply {
  const now = opts.now ?? new Date();
  let firing = 0;
  let resolved = 0;
  const bySeverity = new Map<string, number>();
  const rows = groups.map((g) => {
    const c = counts(g);
    firing += c.firing;
    resolved += c.resolved;
    const sev = severityOf(g);
    bySeverity.set(sev, (bySeverity.get(sev) ?? 0) + 1);
    return [g._id, groupName(g), sev, String(c.firing), String(c.resolved), stateOf(g, now.getTime())];
  });
  const open = groups.filter((g) => g.open).length;
  const sev = [...bySeverity.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${s}`).join(', ');
  return {
    title: `Alert storm digest: ${groups.length} group(s), ${open} open`,
    status: open === 0 ? 'ok' : groups.some((g) => g.open && /^(critical|error|high|page)$/i.test(severityOf(g))) ? 'fail' : 'warn',
    blocks: [
      { type: 'text', text: `More new alert groups arrived than this channel can take one message each. Every group is listed here (${firing} firing, ${resolved} resolved alerts; severities: ${sev || 'none'}). \`alerts <id>\` shows one group; open groups get their own message when the storm is over.` },
      { type: 'table', columns: ['Id', 'Alert', 'Severity', 'Firing', 'Resolved', 'State'], rows },
    ],
    visibility: 'channel',
  };
}
