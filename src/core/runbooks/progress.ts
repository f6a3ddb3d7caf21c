/**
 * The run's living message (a progress list, updated in place) and each step's result, posted in
 * its thread. Neutral replies: each surface renders them within its own limits.
 */
import type { Reply, ReplyBlock, Status } from '../reply.js';
import type { RouterResult } from '../invocation.js';
import type { RunRecord, StepRecord, StepState } from './run.js';

const MARK: Record<StepState, string> = {
  pending: '·', running: '▶', waiting: '⏸', ok: '✓', failed: '✗', skipped: '–', interrupted: '⚡', cancelled: '■',
};

const LINE_MAX = 80;
const SUMMARY_MAX = 120;

export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function stepTime(s: StepRecord, now: number): string {
  if (s.startedAt === undefined) return '';
  return formatElapsed((s.endedAt ?? now) - s.startedAt);
}

function stepState(s: StepRecord): string {
  const word = s.state === 'waiting' && s.approval ? `waiting for approval ${s.approval}` : s.state;
  const watch = s.total !== undefined ? ` ${s.done ?? 0}/${s.total}` : '';
  return `${MARK[s.state]} ${word}${watch}`;
}

function headline(run: RunRecord): { title: string; status: Status } {
  const name = `Runbook ${run.runbook}${run.target ? ` · ${run.target}` : ''}`;
  const n = run.steps.length;
  const at = Math.min(run.step + 1, n);
  switch (run.state) {
    case 'running': return { title: `${name} — step ${at} of ${n}`, status: 'info' };
    case 'waiting': return { title: `${name} — step ${at} of ${n} waiting for approval ${run.waiting ?? ''}`.trimEnd(), status: 'warn' };
    case 'succeeded': return { title: `${name} — done`, status: run.steps.some((s) => s.state === 'failed') ? 'warn' : 'ok' };
    case 'failed': return { title: `${name} — failed at step ${at} of ${n}`, status: 'fail' };
    case 'cancelled': return { title: `${name} — cancelled at step ${at} of ${n}`, status: 'info' };
    case 'interrupted': return { title: `${name} — interrupted at step ${at} of ${n}`, status: 'warn' };
  }
}

/** The living message of a run. */
export function progressReply(run: RunRecord, now: number): Reply {
  const { title, status } = headline(run);
  const blocks: ReplyBlock[] = [];
  const marks = run.steps.map((s) => MARK[s.state]).join(' ');
  const total = formatElapsed((run.endedAt ?? now) - run.createdAt);
  blocks.push({ type: 'text', text: `${marks}   (${total})${run.description ? `\n${run.description}` : ''}${run.reason ? `\n${run.reason}` : ''}` });
  blocks.push({
    type: 'table',
    columns: ['#', 'Step', 'State', 'Time'],
    rows: run.steps.map((s, i) => [String(i + 1), clip(run.definition[i]?.name ?? s.line, LINE_MAX), stepState(s), stepTime(s, now)]),
  });
  const by = run.subject.display ?? run.subject.id;
  blocks.push({ type: 'fields', fields: [
    { label: 'Run', value: run._id },
    { label: 'Started by', value: by },
    ...(run.alert ? [{ label: 'Alert', value: run.alert }] : []),
  ] });
  const buttons: Reply['buttons'] = [];
  if (run.state === 'interrupted') buttons.push({ label: 'Resume', command: `runbook resume ${run._id}`, style: 'primary' });
  if (run.state === 'running' || run.state === 'waiting' || run.state === 'interrupted') buttons.push({ label: 'Cancel', command: `runbook cancel ${run._id}`, style: 'danger' });
  return { title, status, blocks, ...(buttons.length ? { buttons } : {}), visibility: 'channel', footer: `run ${run._id}` };
}

/** One step's result, for the run's thread. */
export function stepReply(run: RunRecord, i: number, result: RouterResult | undefined, now: number): Reply {
  const s = run.steps[i] as StepRecord;
  const head = `Step ${i + 1} of ${run.steps.length}: ${clip(s.line, LINE_MAX)} — ${stepState(s)}${s.startedAt !== undefined ? ` (${stepTime(s, now)})` : ''}`;
  const blocks: ReplyBlock[] = [];
  if (s.summary) blocks.push({ type: 'text', text: clip(s.summary, SUMMARY_MAX) });
  if (result) blocks.push(...result.reply.blocks);
  const status: Status = s.state === 'ok' ? (result?.reply.status ?? 'ok') : s.state === 'failed' ? 'fail' : s.state === 'waiting' ? 'warn' : 'info';
  return { title: head, status, blocks, visibility: 'channel', footer: `run ${run._id}${s.invocationId ? ` · ref ${s.invocationId}` : ''}` };
}
