/**
 * What the channel is told about a maintenance window: one message when it starts (updated in
 * place when it ends) and one message when it ends. Outbox keys are per window, so announcing
 * again (a retry, a second process's sweep) updates the same message instead of posting twice.
 */
import type { Reply } from '../reply.js';
import { formatDuration } from '../duration.js';
import type { MaintenanceRecord } from './record.js';

export const startKey = (id: string) => `maint:${id}`;
export const endKey = (id: string) => `maint:${id}:end`;

function silenced(r: MaintenanceRecord): string {
  if (r.silenceIds.length) return `Its alerts are silenced in Alertmanager (${r.silenceIds.length} silence${r.silenceIds.length === 1 ? '' : 's'}); escalations and job notifications for it are paused.`;
  return `${r.silenceNote ?? 'Its alerts are not silenced in Alertmanager.'} Escalations and job notifications for it are paused.`;
}

export function startReply(r: MaintenanceRecord): Reply {
  const ended = r.state === 'ended';
  return {
    title: ended ? `Maintenance on ${r.target} ended` : `Maintenance on ${r.target} started`,
    status: ended ? 'ok' : 'warn',
    blocks: [
      { type: 'text', text: ended ? `Maintenance window ${r._id} is over.` : `${r.target} is under maintenance until ${r.until.toISOString()} (${formatDuration(r.until.getTime() - r.from.getTime())}). ${silenced(r)}` },
      { type: 'fields', fields: [
        { label: 'Target', value: r.target },
        { label: 'By', value: r.by },
        { label: 'From', value: r.from.toISOString() },
        { label: ended ? 'Ended' : 'Until', value: (ended ? (r.endedAt ?? r.until) : r.until).toISOString() },
        ...(r.reason ? [{ label: 'Reason', value: r.reason }] : []),
      ] },
    ],
    ...(ended ? {} : { buttons: [{ label: 'End maintenance', command: `maintenance end ${r._id}` }] }),
    footer: `maintenance ${r._id}`,
    visibility: 'channel',
  };
}

export function endReply(r: MaintenanceRecord): Reply {
  const early = r.until.getTime() < r.plannedUntil.getTime();
  const how = early ? `ended early by ${r.endedBy ?? 'someone'}` : 'ended: its time ran out';
  return {
    title: `Maintenance on ${r.target} ended`,
    status: 'ok',
    blocks: [{ type: 'text', text: `Maintenance window ${r._id} on ${r.target} ${how} after ${formatDuration(r.until.getTime() - r.from.getTime())}. Its alerts, escalations and job notifications are back on.` }],
    footer: `maintenance ${r._id}`,
    visibility: 'channel',
  };
}
