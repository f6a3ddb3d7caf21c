/**
 * A config reload over a real bot's services (in-process, a manual clock, a recording chat
 * gateway): the reloader reads the edited file, validates it as `validate-config` does and swaps
 * the holders. Running escalations keep the policy they started with while new alerts use the
 * new one; pending approvals are re-checked against the new rules (cancelled with a reason when
 * their rule is gone or changed, never made executable); restart-only keys refuse the reload.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reloadingBot, type Reloading } from '../support/reloading-bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Subject } from '../../src/core/command.js';

const MIN = 60_000;

describe('reload: running escalations keep their snapshot, new alerts use the new policy', () => {
  const base = (firstStep: string) => `
people:
  alice: { slack: U0ALICE }
  bob: { slack: U0BOB }
  carol: { slack: U0CAROL }
escalationPolicies:
  critical:
    steps:
      - { notify: [ { person: ${firstStep} } ], delay: 30m }
      - { notify: [ { person: bob } ] }
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [fake:page], escalation: critical }
`;
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 7, 30));
  let r: Reloading;
  let slack: RecordingGateway;

  beforeAll(async () => {
    slack = new RecordingGateway('slack');
    r = await reloadingBot(base('alice'), { chatGateways: [new RecordingGateway('fake'), slack], clock });
  }, 30_000);
  afterAll(async () => { await r?.cleanup(); });

  const openGroup = async (alertname: string) => {
    await r.t.bot.alerts.receive(payload({ alertname, alerts: [{ labels: { severity: 'critical', instance: `${alertname}-1` } }] }));
    await r.t.bot.alerts.settled();
    return waitFor(async () => (await r.t.bot.alerts.listOpen()).find((g) => g.commonLabels.alertname === alertname)?._id, { what: `group ${alertname}` });
  };
  const pagedTo = (who: string) => slack.calls.filter((c) => c.op === 'dm' && c.channel === `@slack:U0${who.toUpperCase()}`);

  it('given an escalation paging alice, when the policy is reloaded to page carol first, then the running one goes on with its own steps and a new alert pages carol', async () => {
    const running = await openGroup('ApiDown');
    await waitFor(() => pagedTo('alice').length === 1, { what: 'page to alice' });

    const result = await r.reload(base('carol'));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['escalationPolicies'] });

    // The running escalation's policy is its snapshot: still alice first, then bob.
    const rec = await r.t.bot.oncall.escalations.get(running);
    expect(rec?.policy.steps.map((s) => s.notify)).toEqual([[{ person: 'alice' }], [{ person: 'bob' }]]);
    clock.advance(31 * MIN);
    await waitFor(() => pagedTo('bob').length === 1, { what: 'step 2 of the running escalation pages bob' });
    expect(pagedTo('carol')).toHaveLength(0);

    // A new alert starts on the reloaded policy.
    const fresh = await openGroup('DbDown');
    await waitFor(() => pagedTo('carol').length === 1, { what: 'the new escalation pages carol' });
    expect((await r.t.bot.oncall.escalations.get(fresh))?.policy.steps[0]?.notify).toEqual([{ person: 'carol' }]);
    expect(pagedTo('alice')).toHaveLength(1);

    const audit = await r.t.bot.audit.list({ limit: 20, command: 'config.reloaded' });
    expect(audit[0]).toMatchObject({ decision: 'system', detail: { changed: ['escalationPolicies'] } });
  });
});

/** People, a production target and roles for approvals cases; `rules` under approvals.rules. */
const approvalsConfig = (opts: { rules: string; bobRoles?: string; environment?: string }) => `
bot: { consoleUser: "console:op" }
people:
  alice: { slack: U0ALICE, roles: [operator] }
  bob: { slack: U0BOB, roles: [${opts.bobRoles ?? 'lead'}] }
  carol: { slack: U0CAROL, roles: [sre] }
targets:
  web:
    environment: ${opts.environment ?? 'production'}
    health: [ { name: up, tcp: { host: 127.0.0.1, port: 9 } } ]
rbac:
  roles:
    operator: { allow: [health] }
    lead: { allow: [health] }
    sre: { allow: [health] }
approvals:
  rules:
${opts.rules}
`;

describe('reload: pending approvals are re-checked against the new rules', () => {
  const config = approvalsConfig;
  const leadRule = '    - { commands: [health], environments: [production], approvers: [lead] }';
  const sreRule = '    - { commands: [health], environments: [production], approvers: [sre] }';
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 7, 30));
  const alice: Subject = { id: 'slack:U0ALICE', display: 'alice' };
  const bob: Subject = { id: 'slack:U0BOB', display: 'bob' };
  let r: Reloading;

  beforeAll(async () => {
    r = await reloadingBot(config({ rules: leadRule }), { chatGateways: [new RecordingGateway('slack')], clock });
  }, 30_000);
  afterAll(async () => { await r?.cleanup(); });

  const ask = async (): Promise<string> => {
    const held = await r.t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'C0OPS', line: 'health web' });
    expect(held.pending?.approval).toBeDefined();
    return held.pending?.approval as string;
  };

  it('given a pending request, when only who holds the approver role changes, then it stays pending and the new rbac decides who may approve', async () => {
    const id = await ask();
    const result = await r.reload(config({ rules: leadRule, bobRoles: 'sre' }));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['people'] });
    expect((await r.t.bot.approvals.find(id))?.state).toBe('pending');
    // bob lost the lead role on reload: his press is refused and nothing runs.
    const press = await r.t.bot.router.handle({ subject: bob, surface: 'slack', channel: 'C0OPS', line: `approve ${id}` });
    expect(press.outcome).not.toBe('ok');
    expect(JSON.stringify(press.reply)).toContain('needs one of the roles lead');
    expect((await r.t.bot.approvals.find(id))?.state).toBe('pending');
    // Put bob back for the next case.
    expect((await r.reload(config({ rules: leadRule }))).outcome).toBe('applied');
  });

  it('given a pending request, when its rule gets other approvers, then it is cancelled with the reason, audited, and cannot be approved', async () => {
    const id = await ask();
    const result = await r.reload(config({ rules: sreRule }));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['approvals'] });
    const req = await r.t.bot.approvals.find(id);
    expect(req?.state).toBe('cancelled');
    expect(req?.cancelledBy).toMatchObject({ subject: 'system:config-reload', display: expect.stringContaining('approvers lead → sre') });
    const entries = await r.t.bot.audit.list({ limit: 20, command: 'approval.cancelled' });
    expect(entries.find((e) => e.message?.startsWith(id))?.message).toContain('cancelled by the config reload');
    const reloaded = (await r.t.bot.audit.list({ limit: 20, command: 'config.reloaded' }))[0];
    expect(reloaded?.detail).toMatchObject({ approvalsCancelled: { [id]: expect.stringContaining('ask again') } });
    const press = await r.t.bot.router.handle({ subject: bob, surface: 'slack', channel: 'C0OPS', line: `approve ${id}` });
    expect(press.outcome).not.toBe('ok');
    expect(JSON.stringify(press.reply)).toContain('already cancelled');
  });

  it('given a pending request, when its rule is removed, then it is cancelled (never run without an approver) and the command now runs directly', async () => {
    const id = await ask(); // under the sre rule now
    const result = await r.reload(config({ rules: '    []' }).replace('rules:\n    []', 'rules: []'));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['approvals'] });
    const req = await r.t.bot.approvals.find(id);
    expect(req?.state).toBe('cancelled');
    expect(req?.cancelledBy?.display).toContain('no longer needs approval');
    expect(req?.execution).toBeUndefined();
    const direct = await r.t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'C0OPS', line: 'health web' });
    expect(direct.pending).toBeUndefined();
    expect(direct.reply.title).toContain('Health: web');
  });

  it('given an edit to a restart-only key with a live one, then nothing is applied and the refusal names the key', async () => {
    const before = r.t.bot.config;
    const edited = config({ rules: leadRule }).replace('bot: { consoleUser: "console:op" }', 'bot: { consoleUser: "console:op", commandTimeout: 2m }');
    const result = await r.reload(edited);
    expect(result.outcome).toBe('refused');
    expect(result.problems).toEqual([expect.stringMatching(/^bot\.commandTimeout: cannot change while the bot runs; restart to apply/)]);
    expect(r.t.bot.config).toBe(before);
    // The approvals rules were not applied either: health still runs without approval.
    const direct = await r.t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'C0OPS', line: 'health web' });
    expect(direct.pending).toBeUndefined();
    const failed = (await r.t.bot.audit.list({ limit: 20, command: 'config.reload_failed' }))[0];
    expect(failed?.detail).toMatchObject({ problems: [expect.stringContaining('bot.commandTimeout')] });
  });
});

describe('reload: a pending request whose target changes environment', () => {
  const rules = [
    '    - { commands: [health], environments: [staging], approvers: [lead] }',
    '    - { commands: [health], environments: [production], approvers: [sre], count: 2 }',
  ].join('\n');
  const config = (environment: string) => approvalsConfig({ rules, environment });
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 7, 30));
  const alice: Subject = { id: 'slack:U0ALICE', display: 'alice' };
  const bob: Subject = { id: 'slack:U0BOB', display: 'bob' };
  let r: Reloading;

  beforeAll(async () => {
    r = await reloadingBot(config('staging'), { chatGateways: [new RecordingGateway('slack')], clock });
  }, 30_000);
  afterAll(async () => { await r?.cleanup(); });

  it('given a request held under the staging rule, when a reload moves its target to production, then it is cancelled (the production rule must judge it) and one staging approver cannot run it', async () => {
    const held = await r.t.bot.router.handle({ subject: alice, surface: 'slack', channel: 'C0OPS', line: 'health web' });
    const id = held.pending?.approval as string;
    expect(id).toBeDefined();
    const result = await r.reload(config('production'));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['targets'] });
    const req = await r.t.bot.approvals.find(id);
    expect(req?.state).toBe('cancelled');
    expect(req?.cancelledBy?.display).toContain('staging → production');
    const press = await r.t.bot.router.handle({ subject: bob, surface: 'slack', channel: 'C0OPS', line: `approve ${id}` });
    expect(press.outcome).not.toBe('ok');
    expect((await r.t.bot.approvals.find(id))?.execution).toBeUndefined();
  });

  it('given a reload whose re-check of pending requests fails (everything else swapped in), then it is reported applied with the failure, not refused, and the bot\'s config is the new one', async () => {
    const { approvals } = r.t.bot;
    const setPolicy = approvals.setPolicy.bind(approvals);
    approvals.setPolicy = async (c) => {
      await setPolicy(c);
      throw new Error('store unreachable');
    };
    try {
      const result = await r.reload(config('staging'));
      expect(result).toMatchObject({ outcome: 'applied', changed: ['targets'] });
      expect(r.t.bot.config.targets.web?.environment).toBe('staging');
      const reloaded = (await r.t.bot.audit.list({ limit: 20, command: 'config.reloaded' }))[0];
      expect(reloaded?.detail).toMatchObject({ approvalsRecheckFailed: 'store unreachable' });
    } finally {
      approvals.setPolicy = setPolicy;
    }
    // The next reload of the same file changes nothing: the bot's config is the one in force.
    expect(await r.reload(config('staging'))).toMatchObject({ outcome: 'applied', changed: [] });
  });
});
