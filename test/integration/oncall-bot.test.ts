/**
 * On-call through a real bot (in-process, its HTTP server on loopback, a manual clock): the
 * `oncall` and `escalate` commands through the router (RBAC, audit, the paged grant), the
 * iCalendar route with and without its token, and handoff announcements with the DM to the
 * person coming on call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Subject } from '../../src/core/command.js';

const MIN = 60_000;
const TOKEN = 'calendar-token-0123456789abcdef';

const yaml = `
people:
  alice: { slack: U0ALICE }
  bob: { slack: U0BOB }
  carol: { slack: U0CAROL }
schedules:
  primary:
    timezone: Europe/Berlin
    handoffChannel: fake:handoff
    layers:
      - { people: [alice, bob], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 }
escalationPolicies:
  critical:
    steps:
      - { notify: [ { schedule: primary } ], delay: 30m }
      - { notify: [ { schedule: primary, layer: next } ], delay: 30m }
      - { notify: [ { person: carol } ] }
oncall:
  calendarToken: \${ONCALL_CALENDAR_TOKEN}
  fallbackChannel: fake:fallback
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [fake:page], escalation: critical }
rbac:
  roles:
    admin: { allow: ["*"] }
    viewer: { allow: [oncall, "oncall who", alerts] }
  subjects:
    "fake:UADMIN": [admin]
    "fake:UVIEW": [viewer]
`;

/** The VEVENTs of an iCalendar text (lines unfolded, RFC 5545 3.1). */
function events(ics: string): Record<string, string>[] {
  const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') cur = {};
    else if (line === 'END:VEVENT' && cur) { out.push(cur); cur = undefined; } else if (cur) {
      const i = line.indexOf(':');
      cur[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

describe('on-call through a real bot', () => {
  let t: TestBot;
  let fake: RecordingGateway;
  let slack: RecordingGateway;
  // Monday 12 January 2026, 08:30 in Berlin: alice's week ends at 09:00, bob's begins.
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 7, 30));
  const admin: Subject = { id: 'fake:UADMIN', display: 'admin' };
  const viewer: Subject = { id: 'fake:UVIEW', display: 'viewer' };
  const run = (subject: Subject, line: string) => t.bot.router.handle({ subject, surface: 'fake', channel: 'ops', line });
  const text = (v: unknown) => JSON.stringify(v);

  beforeAll(async () => {
    fake = new RecordingGateway('fake');
    slack = new RecordingGateway('slack');
    t = await startTestBot({ yaml, env: { ONCALL_CALENDAR_TOKEN: TOKEN }, extra: { chatGateways: [fake, slack], clock } });
  }, 30_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('oncall: the overview and one schedule in detail, with layers and the next 7 days, for a viewer', async () => {
    const all = await run(viewer, 'oncall');
    expect(all.outcome).toBe('ok');
    expect(all.reply.title).toBe('On call now');
    expect(text(all.reply)).toContain('["primary","alice","layer 1","Mon 12 Jan 09:00","bob","Europe/Berlin"]');
    const one = await run(viewer, 'oncall primary');
    expect(one.reply.title).toBe('On call: primary');
    expect(text(one.reply)).toContain('@alice (layer 1)');
    expect(text(one.reply)).toContain('["Mon 12 Jan 09:00","Mon 19 Jan 08:30","bob","6d23h"]');
    const who = await run(viewer, 'oncall who primary --at 2026-01-20T12:00');
    expect(who.outcome).toBe('ok');
    expect(text(who.reply)).toContain('alice');
    const unknown = await run(viewer, 'oncall nosuch');
    expect(unknown.outcome).not.toBe('ok');
    expect(text(unknown.reply)).toMatch(/No schedule .{1,2}nosuch/);
  });

  it('oncall override: refused for a viewer; an admin adds one (audited), it wins, and it is removed', async () => {
    expect((await run(viewer, 'oncall override primary carol 2h')).outcome).toBe('denied');
    const bad = await run(admin, 'oncall override primary dave 2h');
    expect(text(bad.reply)).toMatch(/No person .{1,2}dave/);
    const added = await run(admin, 'oncall override primary carol 2h');
    expect(added.outcome).toBe('ok');
    const id = /Override (\w+)/.exec(added.reply.title)?.[1] as string;
    expect(text((await run(viewer, 'oncall primary')).reply)).toContain('@carol (override');
    const audit = await t.bot.audit.list({ limit: 10, command: 'oncall override' });
    expect(audit.map((e) => e.decision)).toContain('allowed');
    const removed = await run(admin, `oncall override remove ${id}`);
    expect(removed.outcome).toBe('ok');
    expect(text((await run(viewer, 'oncall primary')).reply)).toContain('@alice (layer 1)');
    expect((await run(admin, `oncall override remove ${id}`)).outcome).not.toBe('ok');
  });

  it('GET /oncall/<schedule>.ics: 401 without or with a wrong token, 404 for an unknown schedule, the shifts with the token', async () => {
    expect((await fetch(`${t.baseUrl}/oncall/primary.ics`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/oncall/primary.ics?token=wrong-token-wrong-token`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/oncall/nosuch.ics?token=${TOKEN}`)).status).toBe(404);
    const res = await fetch(`${t.baseUrl}/oncall/primary.ics?token=${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
    const body = await res.text();
    expect(body.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    const ev = events(body);
    // From 7 days back to 90 days ahead: alice's week that ends now, then bob, alice, bob… at 09:00 Berlin (08:00Z in winter)
    expect(ev[0]).toMatchObject({ DTSTART: '20260105T080000Z', DTEND: '20260112T080000Z', SUMMARY: 'On call (primary): alice' });
    expect(ev[1]).toMatchObject({ DTSTART: '20260112T080000Z', DTEND: '20260119T080000Z', SUMMARY: 'On call (primary): bob' });
    expect(ev.slice(0, 6).map((e) => e.SUMMARY?.split(': ')[1])).toEqual(['alice', 'bob', 'alice', 'bob', 'alice', 'bob']);
    // After the spring-forward night (29 March 2026) 09:00 Berlin is 07:00Z
    expect(ev.find((e) => e.DTSTART === '20260330T070000Z')).toBeDefined();
    expect(new Set(ev.map((e) => e.UID)).size).toBe(ev.length);
    // The bearer header works as well
    expect((await fetch(`${t.baseUrl}/oncall/primary.ics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('escalate through the router: refused without a role, allowed for a paged person (the grant), by step and by person, refused once acknowledged', async () => {
    await t.bot.alerts.receive(payload({ alertname: 'ApiDown', alerts: [{ labels: { severity: 'critical', instance: 'api-1' } }] }));
    await t.bot.alerts.settled();
    const g = (await t.bot.alerts.listOpen()).find((x) => x.commonLabels.alertname === 'ApiDown');
    const id = g?._id as string;
    // The on-call (alice) is paged at once
    const page = await waitFor(() => slack.calls.find((c) => c.op === 'dm' && c.channel === '@slack:U0ALICE'), { what: 'page to alice' });
    expect(page.reply.buttons?.map((b) => b.command)).toEqual([`ack ${id}`, `escalate ${id}`]);
    // Carol has no role and was not paged: refused
    const carol: Subject = { id: 'slack:U0CAROL', display: 'carol' };
    expect((await t.bot.router.handle({ subject: carol, surface: 'slack', channel: 'DU0CAROL', line: `escalate ${id}` })).outcome).toBe('denied');
    // Alice has no role either, but she was paged for this group: she may escalate it (the DM's button)
    const alice: Subject = { id: 'slack:U0ALICE', display: 'alice' };
    const byAlice = await t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'DU0ALICE', line: page.reply.buttons?.[1]?.command as string });
    expect(byAlice.outcome).toBe('ok');
    expect(byAlice.reply.title).toBe(`Escalated ${id}`);
    await waitFor(() => slack.calls.find((c) => c.op === 'dm' && c.channel === '@slack:U0BOB'), { what: 'page to bob' });
    // ...and nothing else: not a restart, not another group
    expect((await t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'DU0ALICE', line: 'oncall override primary alice 1h' })).outcome).toBe('denied');
    // An admin: step 3 by number, then a person outside the policy; a bad target is a usage error
    expect(text((await run(admin, `escalate ${id} --to 9`)).reply)).toContain('has steps 1 to 3');
    expect((await run(admin, `escalate ${id} --to dave`)).outcome).toBe('usage');
    expect((await run(admin, `escalate ${id} --to 3`)).outcome).toBe('ok');
    await waitFor(() => slack.calls.find((c) => c.op === 'dm' && c.channel === '@slack:U0CAROL'), { what: 'page to carol' });
    // --dry-run says what it would do and does nothing
    const dry = await run(admin, `escalate ${id} --to alice --dry-run`);
    expect(text(dry.reply)).toContain(`page @alice now for alert ${id} (policy critical)`);
    // The group message shows the escalation state
    const msg = await waitFor(() => fake.topLevel().find((m) => m.channel === 'page' && text(m.reply).includes('@carol (step 3')), { what: 'group message with carol paged' });
    expect(text(msg.reply)).toContain('@alice (step 1');
    // Alice acknowledges by the DM's button: the paged grant allows it, the escalation stops
    const ack = await t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'DU0ALICE', line: page.reply.buttons?.[0]?.command as string });
    expect(ack.outcome).toBe('ok');
    await waitFor(async () => (await t.bot.oncall.escalations.get(id))?.phase === 'stopped', { what: 'escalation stopped' });
    const refused = await run(admin, `escalate ${id}`);
    expect(refused.outcome).not.toBe('ok');
    expect(text(refused.reply)).toMatch(/acknowledged by @alice/);
    // Her DM no longer has buttons and says she acknowledged
    await waitFor(() => slack.dms.get(page.id)?.reply.title.startsWith('Acknowledged'), { what: 'DM updated' });
    expect(slack.dms.get(page.id)?.reply.buttons).toBeUndefined();
  });

  it('handoff: at Monday 09:00 the channel is told bob takes over from alice, and bob gets a DM', async () => {
    expect(fake.topLevel().filter((m) => m.channel === 'handoff')).toHaveLength(0);
    clock.advance(31 * MIN); // 09:01 Berlin
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(30_000); // the next handoff check
    const line = await waitFor(() => fake.topLevel().find((m) => m.channel === 'handoff'), { what: 'handoff line' });
    expect(line.reply.title).toBe('On call for primary: @bob');
    expect(text(line.reply.blocks)).toContain('@alice hands over to @bob until Mon 19 Jan 09:00 (Europe/Berlin)');
    const dm = await waitFor(() => slack.calls.find((c) => c.op === 'dm' && c.channel === '@slack:U0BOB' && c.reply.title.startsWith('You are on call')), { what: 'handoff DM' });
    expect(dm.reply.title).toBe('You are on call for primary until Mon 19 Jan 09:00 (Europe/Berlin)');
    // Once: later checks announce nothing new
    clock.advance(5 * MIN);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.topLevel().filter((m) => m.channel === 'handoff')).toHaveLength(1);
  });
});
