/** Rendering an alert group in every state, and a storm digest, as a neutral Reply. */
import { describe, expect, it } from '@jest/globals';
import { acknowledge, newGroup, applyNotification, resolveByHand, silence, type AlertGroup } from '../../src/core/alerts/group.js';
import { renderDigest, renderGroup, renderResolvedNote } from '../../src/core/alerts/render.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import type { Reply } from '../../src/core/reply.js';
import { hosts, payload } from '../support/alert-payloads.js';

const T0 = new Date('2026-11-24T09:05:00Z');
const NOW = new Date('2026-11-24T09:20:00Z');
const group = (p = payload({ alerts: hosts(2), commonLabels: { team: 'db' } }), id = 'a1b2'): AlertGroup => newGroup(id, 1, p, [{ channel: 'fake:alerts', route: 'default' }], 'h1', T0);
const fieldsOf = (r: Reply) => Object.fromEntries(r.blocks.flatMap((b) => (b.type === 'fields' ? b.fields.map((f) => [f.label, f.value]) : [])));
const buttons = (r: Reply) => (r.buttons ?? []).map((b) => `${b.label}=${b.command ?? b.url}`);

describe('rendering an alert group', () => {
  it('firing: status, severity, name, counts, labels, start and duration, links, and the three buttons', () => {
    const r = renderGroup(group(), {}, { now: NOW });
    expect(r.title).toBe('[FIRING:2] HighCPU');
    expect(r.status).toBe('fail');
    expect(fieldsOf(r)).toEqual({
      Status: 'FIRING', Severity: 'critical', Alert: 'HighCPU', Firing: '2', Resolved: '0',
      Started: '2026-11-24 09:00:00Z (20m ago)', Labels: 'team=db', Id: 'a1b2',
    });
    expect(r.blocks[0]).toEqual({ type: 'text', text: 'HighCPU on host-0' });
    expect(r.blocks.find((b) => b.type === 'table')).toMatchObject({ columns: ['Status', 'Labels', 'Started', 'Summary'], rows: [['firing', 'instance=host-0', '2026-11-24 09:00:00Z', ''], ['firing', 'instance=host-1', '2026-11-24 09:00:00Z', 'HighCPU on host-1']] });
    const links = r.blocks.find((b) => b.type === 'links');
    expect(links).toMatchObject({ links: [{ label: 'Source' }, { label: 'Alertmanager', url: 'http://alertmanager.example:9093/#/alerts?filter=%7Balertname%3D%22HighCPU%22%7D' }] });
    expect(buttons(r)).toEqual(['Acknowledge=ack a1b2', 'Resolve=resolve a1b2', 'Silence 1h=silence a1b2 1h']);
    expect(r.footer).toBe('alert a1b2 · receiver opsbot');
  });

  it('firing with a route mention, style, runbook URL and a runbook_url annotation', () => {
    const p = payload({ alerts: [{ labels: { instance: 'db-1' }, annotations: { summary: 'Disk full', description: 'Less than 1% left', runbook_url: 'https://wiki/disk' } }], commonLabels: { severity: 'warning' } });
    const r = renderGroup(group(p), { mentions: [{ kind: 'here' }], runbook: 'https://runbooks/disk', style: 'danger' }, { now: NOW });
    expect(r.status).toBe('fail');
    expect(r.mentions).toEqual([{ kind: 'here' }]);
    expect(r.blocks[0]).toEqual({ type: 'text', text: 'Disk full\nLess than 1% left' });
    expect(r.blocks.find((b) => b.type === 'links')).toMatchObject({ links: [{ label: 'Source' }, { label: 'Runbook', url: 'https://wiki/disk' }, { label: 'Alertmanager' }] });
    expect(buttons(r)).toContain('Runbook=https://runbooks/disk');
  });

  it('a named runbook becomes a button that runs it with the group (its labels reach the templating)', () => {
    const g = group(payload({ alerts: hosts(1), commonLabels: { job: 'orders-api' } }));
    const r = renderGroup(g, { runbook: 'restart-api' }, { now: NOW });
    expect(buttons(r)).toContain(`Run runbook=runbook restart-api --alert ${g._id}`);
  });

  it('severity picks the colour: warning → warn, info → info', () => {
    expect(renderGroup(group(payload({ alerts: hosts(1), commonLabels: { severity: 'warning' } })), {}, { now: NOW }).status).toBe('warn');
    expect(renderGroup(group(payload({ alerts: hosts(1), commonLabels: { severity: 'info' } })), {}, { now: NOW }).status).toBe('info');
  });

  it('acknowledged: who and when, no Acknowledge button, mention dropped', () => {
    const g = acknowledge(group(), '@alice', new Date('2026-11-24T09:10:00Z'));
    const r = renderGroup(g, { mentions: [{ kind: 'here' }] }, { now: NOW });
    expect(r.mentions).toBeUndefined();
    expect(r.title).toBe('[ACKNOWLEDGED:2] HighCPU');
    expect(fieldsOf(r).Status).toBe('ACKNOWLEDGED by @alice at 2026-11-24 09:10:00Z');
    expect(buttons(r)).toEqual(['Resolve=resolve a1b2', 'Silence 1h=silence a1b2 1h']);
    expect(JSON.stringify(r.blocks)).not.toContain('@here');
  });

  it('silenced: until when and by whom; after the silence ends it shows firing again', () => {
    const g = silence(group(), 'bob', 'sil-1', new Date('2026-11-24T10:00:00Z'), NOW);
    const r = renderGroup(g, {}, { now: NOW });
    expect(r.title).toBe('[SILENCED:2] HighCPU');
    expect(r.status).toBe('info');
    expect(fieldsOf(r).Status).toBe('SILENCED until 2026-11-24 10:00:00Z by bob');
    expect(buttons(r)).toEqual(['Acknowledge=ack a1b2', 'Resolve=resolve a1b2']);
    expect(renderGroup(g, {}, { now: new Date('2026-11-24T10:00:01Z') }).title).toBe('[FIRING:2] HighCPU');
  });

  it('partly resolved: counts of firing and resolved alerts', () => {
    const g = applyNotification(group(), payload({ alerts: [{ labels: { instance: 'host-0' } }, { labels: { instance: 'host-1' }, status: 'resolved' }], commonLabels: { team: 'db' } }), 'h2', NOW);
    const r = renderGroup(g, {}, { now: NOW });
    expect(r.title).toBe('[FIRING:1] HighCPU');
    expect(fieldsOf(r)).toMatchObject({ Firing: '1', Resolved: '1' });
  });

  it('resolved by Alertmanager: OK, how long it lasted, no buttons', () => {
    const g = applyNotification(group(), payload({ alerts: hosts(2, { status: 'resolved' }), commonLabels: { team: 'db' } }), 'h3', new Date('2026-11-24T09:30:00Z'));
    const r = renderGroup(g, {}, { now: NOW });
    expect(r.title).toBe('[RESOLVED] HighCPU');
    expect(r.status).toBe('ok');
    expect(fieldsOf(r)).toMatchObject({ Status: 'RESOLVED', Firing: '0', Resolved: '2', Started: '2026-11-24 09:00:00Z (30m)' });
    expect(r.buttons).toBeUndefined();
    expect(renderResolvedNote(g).blocks[0]).toEqual({ type: 'text', text: 'All alerts resolved after 30m.' });
  });

  it('resolved by hand: says who', () => {
    const g = resolveByHand(group(), '@carol', NOW);
    const r = renderGroup(g, {}, { now: NOW });
    expect(fieldsOf(r).Status).toBe('RESOLVED by @carol');
    expect(renderResolvedNote(g).blocks[0]).toEqual({ type: 'text', text: 'Resolved by @carol after 20m.' });
  });

  it('truncated alerts and many alerts: says how many are not shown', () => {
    const g = group(payload({ alerts: hosts(14), truncatedAlerts: 6 }));
    const r = renderGroup(g, {}, { now: NOW });
    expect(fieldsOf(r).Truncated).toBe('6 more alert(s) not sent by Alertmanager (max_alerts)');
    expect(r.blocks.find((b) => b.type === 'table')).toMatchObject({ title: 'Alerts (first 10 of 14)' });
  });

  it('renders as console text with the buttons as commands', () => {
    const text = renderConsole(renderGroup(group(), {}, { now: NOW }), { colour: false });
    expect(text.split('\n')[0]).toBe('[FAIL] [FIRING:2] HighCPU');
    expect(text).toContain('Actions: Acknowledge → `ack a1b2` · Resolve → `resolve a1b2` · Silence 1h → `silence a1b2 1h`');
  });
});

describe('rendering a storm digest', () => {
  it('names every group with its severity, counts and state', () => {
    const groups = [
      group(payload({ alertname: 'A', alerts: hosts(3) }), 'aaaa'),
      acknowledge(group(payload({ alertname: 'B', alerts: hosts(1), commonLabels: { severity: 'warning' } }), 'bbbb'), 'x', NOW),
      applyNotification(group(payload({ alertname: 'C', alerts: hosts(2) }), 'cccc'), payload({ alertname: 'C', alerts: hosts(2, { status: 'resolved' }) }), 'h', NOW),
    ];
    const r = renderDigest(groups, { now: NOW });
    expect(r.title).toBe('Alert storm digest: 3 group(s), 2 open');
    expect(r.status).toBe('fail');
    expect(r.blocks[0]).toMatchObject({ text: expect.stringContaining('4 firing, 2 resolved alerts; severities: 2 critical, 1 warning') });
    expect(r.blocks[1]).toEqual({
      type: 'table',
      columns: ['Id', 'Alert', 'Severity', 'Firing', 'Resolved', 'State'],
      rows: [['aaaa', 'A', 'critical', '3', '0', 'firing'], ['bbbb', 'B', 'warning', '1', '0', 'acknowledged'], ['cccc', 'C', 'critical', '0', '2', 'resolved']],
    });
  });
});
