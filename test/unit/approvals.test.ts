/**
 * Approvals through the router: a gated command is held and posted, approved by someone else
 * with an approver role for its target, and run exactly once as the requester; every refusal
 * runs nothing. Time is a ManualClock; the store is the embedded one.
 */
import { describe, expect, it } from '@jest/globals';
import { EmbeddedStore } from '../../src/core/store/index.js';
import type { ApprovalDecided } from '../../src/core/approvals/index.js';
import { approvalsHarness, discordUser, slackUser, PEOPLE } from '../support/approvals.js';
import { approvalsSchema } from '../../src/config/approvals-schema.js';
import { parseConfigText } from '../../src/config/load.js';

const alice = slackUser('U0ALICE');
const bob = slackUser('U0BOB');
const ask = (h: Awaited<ReturnType<typeof approvalsHarness>>, line: string, who = alice) =>
  h.router.handle({ subject: who, surface: 'slack', channel: 'C0OPS', line });
const text = (v: unknown) => JSON.stringify(v);

describe('approvals: request, approve, run once', () => {
  it('given a production patch, when Alice asks and Bob approves, then it runs once as Alice with Bob recorded, and the message and thread say so', async () => {
    const h = await approvalsHarness();
    const events: ApprovalDecided[] = [];
    h.service.onDecided((e) => { events.push(e); });
    // When Alice asks
    const held = await ask(h, 'patch pixelforge --reason "CVE-2026-1234"');
    // Then nothing ran; she is told the request id, only she sees it
    expect(h.runs).toEqual([]);
    const id = held.pending?.approval as string;
    expect(id).toMatch(/^r[a-z2-9]{4}$/);
    expect(held.reply.visibility).toBe('ephemeral');
    expect(text(held.reply)).toContain(`approve ${id}`);
    // And the request is posted in the policy's channel with what will be done and the buttons
    const posted = h.queue.latest(`a:${id}:slack:C0APPROVALS`);
    expect(posted?.title).toBe('Approval needed: patch on pixelforge');
    expect(text(posted)).toContain('apply the pending OS patches to pixelforge');
    expect(text(posted)).toContain('CVE-2026-1234');
    expect(text(posted)).toContain('pixelforge (production)');
    expect(posted?.buttons?.map((b) => b.command)).toEqual([`approve ${id}`, `deny ${id}`]);
    // When Bob approves
    const approved = await h.router.handle({ subject: bob, surface: 'slack', channel: 'C0APPROVALS', line: `approve ${id}` });
    expect(approved.outcome).toBe('ok');
    expect(approved.reply.visibility).toBe('ephemeral');
    await h.service.settled();
    // Then it ran once, as Alice
    expect(h.runs).toEqual(['pixelforge as slack:U0ALICE']);
    const req = await h.service.find(id);
    expect(req).toMatchObject({ state: 'executed', approvals: [{ subject: 'slack:U0BOB', person: 'bob' }], execution: { outcome: 'ok' } });
    // And the message was updated in place; the result went in its thread
    expect(h.queue.latest(`a:${id}:slack:C0APPROVALS`)?.title).toBe('Approved and done: patch on pixelforge');
    expect(h.queue.latest(`a:${id}:slack:C0APPROVALS`)?.buttons).toBeUndefined();
    const result = h.queue.all.find((e) => e.key === `a:${id}:slack:C0APPROVALS:result`);
    expect(result).toMatchObject({ kind: 'reply', parent: `a:${id}:slack:C0APPROVALS` });
    expect(result?.reply.title).toContain('Patched pixelforge');
    // And Alice hears it where she asked
    expect(h.queue.latest(`a:${id}:asker`)?.title).toContain('Patched pixelforge');
    // And the executed command's audit entry links the request and the held invocation
    const entries = await h.audit.list({ limit: 50 });
    const run = entries.find((e) => e.command === 'patch' && e.approval === id);
    expect(run).toMatchObject({ subject: 'slack:U0ALICE', state: 'ok', parentInvocationId: held.invocationId });
    expect(entries.find((e) => e.command === 'approval.approved')).toMatchObject({ subject: 'slack:U0BOB' });
    // And listeners heard it once, with the result
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ requestId: id, state: 'approved', result: { outcome: 'ok' } });
  });

  it('given a pending request, when 50 approvers press Approve at once, then it runs exactly once', async () => {
    const h = await approvalsHarness({ approvals: { rules: [{ commands: ['patch'], approvers: ['admin', 'sre-lead'], count: 1 }] } });
    const id = (await ask(h, 'patch pixelforge')).pending?.approval as string;
    const presses = await Promise.all(Array.from({ length: 50 }, (_, i) => h.router.handle({ subject: i % 2 ? bob : slackUser('U0DAVE'), surface: 'slack', line: `approve ${id}` })));
    await h.service.settled();
    expect(h.runs).toHaveLength(1);
    expect(presses.filter((p) => p.outcome === 'ok')).toHaveLength(1);
    expect(presses.filter((p) => p.error?.code === 'conflict')).toHaveLength(49);
  });

  it('given two services (two processes) on one store, when both get approvals at once, then one runs it', async () => {
    const store = await EmbeddedStore.open(null);
    const runs: string[] = [];
    const a = await approvalsHarness({ store, runs, owner: { host: 'h', pid: 1, instance: 'a' }, approvals: { rules: [{ commands: ['patch'], approvers: ['admin', 'sre-lead'], count: 1 }] } });
    const b = await approvalsHarness({ store, runs, clock: a.clock, owner: { host: 'h', pid: 2, instance: 'b' }, alive: () => true, approvals: { rules: [{ commands: ['patch'], approvers: ['admin', 'sre-lead'], count: 1 }] } });
    const id = (await ask(a, 'patch pixelforge')).pending?.approval as string;
    await Promise.all([
      ...Array.from({ length: 10 }, () => a.router.handle({ subject: bob, surface: 'slack', line: `approve ${id}` })),
      ...Array.from({ length: 10 }, () => b.router.handle({ subject: slackUser('U0DAVE'), surface: 'discord', line: `approve ${id}` })),
    ]);
    await Promise.all([a.service.settled(), b.service.settled()]);
    expect(runs).toHaveLength(1);
    expect((await a.service.find(id))?.state).toBe('executed');
  });

  it('given count 2, when one approver presses twice, then it still waits for a second person', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'nothing-matches')).pending?.approval;
    expect(id).toBeUndefined();
    const held = await h.router.handle({ subject: slackUser('U0OPS'), surface: 'slack', channel: 'C0OPS', line: 'patch pixelforge-staging' });
    const rid = held.pending?.approval as string;
    expect((await h.service.find(rid))?.count).toBe(2);
    expect((await h.router.handle({ subject: slackUser('U0DAVE'), surface: 'slack', line: `approve ${rid}` })).outcome).toBe('ok');
    const again = await h.router.handle({ subject: slackUser('U0DAVE'), surface: 'slack', line: `approve ${rid}` });
    expect(again.error?.code).toBe('conflict');
    expect(h.queue.latest(`a:${rid}:slack:C0OPS`)?.blocks.map((b) => text(b)).join()).toContain('1 more approval');
    expect(h.runs).toEqual([]);
  });
});

describe('approvals: refusals run nothing', () => {
  it('given Alice\'s request, when Alice approves it through her Discord identity, then she is refused: one person', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    const self = await h.router.handle({ subject: discordUser(PEOPLE.alice.discord), surface: 'discord', line: `approve ${id}` });
    expect(self.error?.code).toBe('denied');
    expect(text(self.reply)).toContain('You asked for');
    expect(self.reply.visibility).toBe('ephemeral');
    await h.service.settled();
    expect(h.runs).toEqual([]);
    expect((await h.service.find(id))?.state).toBe('pending');
    // And the attempt is audited
    const entries = await h.audit.list({ limit: 20, command: 'approve' });
    expect(entries[0]).toMatchObject({ subject: `discord:user:${PEOPLE.alice.discord}`, code: 'denied' });
  });

  it('given a production request, when a lead whose role covers only staging approves, then it is refused; a non-approver too', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    const carol = await h.router.handle({ subject: slackUser('U0CAROL'), surface: 'slack', line: `approve ${id}` });
    expect(carol.error?.code).toBe('denied');
    expect(text(carol.reply)).toContain('pixelforge (production)');
    const nobody = await h.router.handle({ subject: slackUser('U0EVE'), surface: 'slack', line: `approve ${id}` });
    expect(nobody.error?.code).toBe('denied');
    expect(h.runs).toEqual([]);
  });

  it('given a decided request, when someone presses again, then they are told it is already decided', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    const denied = await h.router.handle({ subject: bob, surface: 'slack', line: `deny ${id} not during the sale` });
    expect(denied.outcome).toBe('ok');
    expect(h.queue.latest(`a:${id}:slack:C0APPROVALS`)?.title).toBe('Denied: patch on pixelforge');
    expect(text(h.queue.latest(`a:${id}:slack:C0APPROVALS`))).toContain('not during the sale');
    const late = await h.router.handle({ subject: slackUser('U0DAVE'), surface: 'slack', line: `approve ${id}` });
    expect(late.error?.code).toBe('conflict');
    expect(text(late.reply)).toContain('already denied');
    expect(h.runs).toEqual([]);
  });

  it('given a rule with reason: required, when the command has no --reason, then it is refused and nothing is requested', async () => {
    const h = await approvalsHarness();
    const r = await ask(h, 'patch pixelforge');
    expect(r.error?.code).toBe('usage');
    expect(text(r.reply)).toContain('--reason');
    expect(await h.service.list({ all: true })).toEqual([]);
  });

  it('given a gated command, when it is a --dry-run, then it is not held', async () => {
    const h = await approvalsHarness();
    const r = await ask(h, 'patch pixelforge --dry-run');
    expect(r.pending).toBeUndefined();
    expect(r.reply.title).toBe('Dry run: patch');
    expect(h.runs).toEqual([]);
  });

  it('given a forged approved:<id>, when a service runs a line with it, then the gate refuses it', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    const forged = await h.router.runner.run('patch pixelforge --reason x', { subject: alice, surface: 'runbook', parentInvocationId: 'p1', approval: `approved:${id}` });
    expect(forged.error?.code).toBe('denied');
    expect(h.runs).toEqual([]);
  });

  it('given a requester, when she withdraws her request, then it is cancelled; someone else may not withdraw it', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    expect((await h.router.handle({ subject: bob, surface: 'slack', line: `approvals cancel ${id}` })).error?.code).toBe('denied');
    expect((await h.router.handle({ subject: discordUser(PEOPLE.alice.discord), surface: 'discord', line: `approvals cancel ${id}` })).outcome).toBe('ok');
    expect((await h.service.find(id))?.state).toBe('cancelled');
  });
});

describe('approvals: time, restarts and crashes', () => {
  it('given a pending request, when its time runs out, then it expires, the message says so and a late approval is refused', async () => {
    const h = await approvalsHarness();
    const events: ApprovalDecided[] = [];
    h.service.onDecided((e) => { events.push(e); });
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    h.clock.advance(29 * 60_000);
    await h.service.settled();
    expect((await h.service.find(id))?.state).toBe('pending');
    h.clock.advance(60_000);
    await h.service.settled();
    expect((await h.service.find(id))?.state).toBe('expired');
    expect(h.queue.latest(`a:${id}:slack:C0APPROVALS`)?.title).toBe('Expired: patch on pixelforge');
    expect(events).toEqual([{ requestId: id, state: 'expired' }]);
    const late = await h.router.handle({ subject: bob, surface: 'slack', line: `approve ${id}` });
    expect(late.error?.code).toBe('conflict');
    expect(h.runs).toEqual([]);
  });

  it('given pending requests and a restart, when the new service starts, then overdue ones expire at once and others on their deadline', async () => {
    const store = await EmbeddedStore.open(null);
    const first = await approvalsHarness({ store });
    const early = (await ask(first, 'patch pixelforge --reason a')).pending?.approval as string;
    first.clock.advance(20 * 60_000);
    const later = (await ask(first, 'patch pixelforge --reason b')).pending?.approval as string;
    await first.service.stop();
    // The process is gone for 15 minutes: `early` is overdue when the next one starts
    first.clock.advance(15 * 60_000);
    const second = await approvalsHarness({ store, clock: first.clock });
    await second.service.settled();
    expect((await second.service.find(early))?.state).toBe('expired');
    expect((await second.service.find(later))?.state).toBe('pending');
    second.clock.advance(15 * 60_000);
    await second.service.settled();
    expect((await second.service.find(later))?.state).toBe('expired');
  });

  it('given a process that died between approval and the end of execution, when the next starts, then the request is interrupted and never re-run', async () => {
    const store = await EmbeddedStore.open(null);
    const runs: string[] = [];
    const dead = { host: 'this-host', pid: 4242, instance: 'gone' };
    const first = await approvalsHarness({ store, runs, owner: dead });
    first.gate.hold = true;
    const id = (await ask(first, 'patch pixelforge --reason x')).pending?.approval as string;
    await first.router.handle({ subject: bob, surface: 'slack', line: `approve ${id}` });
    // The command started, and the process "dies" before it completes (its run never returns)
    for (let i = 0; i < 50 && runs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await first.service.find(id))?.state).toBe('executing');
    const events: ApprovalDecided[] = [];
    const second = await approvalsHarness({ store, runs, clock: first.clock, owner: { host: 'this-host', pid: 5000, instance: 'new' }, alive: (pid) => pid !== 4242 });
    second.service.onDecided((e) => { events.push(e); });
    // start() ran in the harness; a second call finds nothing more to mark
    expect(await second.service.markInterrupted()).toBe(0);
    const req = await second.service.find(id);
    expect(req?.state).toBe('interrupted');
    expect(req?.interruption).toContain('pid 4242');
    expect(second.queue.latest(`a:${id}:slack:C0APPROVALS`)?.title).toBe('Interrupted: patch on pixelforge');
    expect(runs).toEqual(['pixelforge as slack:U0ALICE']);
    // And pressing Approve again runs nothing
    expect((await second.router.handle({ subject: slackUser('U0DAVE'), surface: 'slack', line: `approve ${id}` })).error?.code).toBe('conflict');
    expect(runs).toHaveLength(1);
    first.gate.release?.();
  });
});

describe('approvals: policy', () => {
  it('given the break-glass role, when its holder runs a gated command, then it runs at once, loudly posted and audited', async () => {
    const h = await approvalsHarness();
    const r = await ask(h, 'patch pixelforge', slackUser('U0IVY'));
    expect(r.pending).toBeUndefined();
    expect(r.outcome).toBe('ok');
    expect(h.runs).toEqual(['pixelforge as slack:U0IVY']);
    const loud = h.queue.all.find((e) => e.key.startsWith('bg:'));
    expect(loud).toMatchObject({ channel: 'slack:C0APPROVALS' });
    expect(loud?.reply.title).toContain('BREAK-GLASS');
    expect((await h.audit.list({ limit: 20, command: 'approval.break-glass' }))[0]).toMatchObject({ subject: 'slack:U0IVY' });
  });

  it('given a runbook step marked approval: required that no rule matches, then approvals.default holds it; without a default it is refused', async () => {
    const h = await approvalsHarness();
    const r = await h.router.runner.run('health', { subject: alice, surface: 'runbook', parentInvocationId: 'run-1', approval: 'required' });
    // `health` is not registered in this harness: unknown commands are never held
    expect(r.pending).toBeUndefined();
    const step = await h.router.runner.run('patch pixelforge-staging', { subject: alice, surface: 'runbook', parentInvocationId: 'run-1', approval: 'required' });
    const req = await h.service.find(step.pending?.approval as string);
    // The catch-all dangerous rule matches first (rules win over the default)
    expect(req).toMatchObject({ rule: 'rules[1]', parentInvocationId: 'run-1' });
    const noRules = await approvalsHarness({ approvals: { default: { approvers: ['admin'], expires: '10m' } } });
    const d = await noRules.router.runner.run('patch pixelforge-staging', { subject: alice, surface: 'runbook', parentInvocationId: 'run-2', approval: 'required' });
    expect(await noRules.service.find(d.pending?.approval as string)).toMatchObject({ rule: 'default', approverRoles: ['admin'], channels: [] });
    const none = await approvalsHarness({ approvals: {} });
    const refused = await none.router.runner.run('patch pixelforge-staging', { subject: alice, surface: 'runbook', parentInvocationId: 'run-3', approval: 'required' });
    expect(refused.error?.code).toBe('denied');
    expect(none.runs).toEqual([]);
  });

  it('given approvals, when the lists are asked for, then each person sees only what they may', async () => {
    const h = await approvalsHarness();
    const id = (await ask(h, 'patch pixelforge --reason x')).pending?.approval as string;
    const mine = await h.router.handle({ subject: alice, surface: 'slack', line: 'approvals' });
    expect(text(mine.reply)).toContain(id);
    const eve = await h.router.handle({ subject: slackUser('U0EVE'), surface: 'slack', line: 'approvals' });
    expect(text(eve.reply)).not.toContain(id);
    expect((await h.router.handle({ subject: slackUser('U0EVE'), surface: 'slack', line: `approvals show ${id}` })).error?.code).toBe('not_found');
    const shown = await h.router.handle({ subject: bob, surface: 'slack', line: `approvals show ${id}` });
    expect(text(shown.reply)).toContain('approvals.rules[0]');
  });

  it('given --as on the console, then the line runs as that person\'s console identity (audited); elsewhere --as is refused', async () => {
    const h = await approvalsHarness();
    const held = await h.router.handle({ subject: { id: 'console:operator' }, surface: 'console', channel: 'console', line: 'patch pixelforge --reason x --as alice' });
    const id = held.pending?.approval as string;
    expect((await h.service.find(id))?.requester).toMatchObject({ id: 'console:alice', person: 'alice' });
    expect((await h.router.handle({ subject: { id: 'console:operator' }, surface: 'console', channel: 'console', line: `approve ${id} --as alice` })).error?.code).toBe('denied');
    expect((await h.router.handle({ subject: { id: 'console:operator' }, surface: 'console', channel: 'console', line: `approve ${id} --as bob` })).outcome).toBe('ok');
    await h.service.settled();
    expect(h.runs).toEqual(['pixelforge as console:alice']);
    expect((await h.audit.list({ limit: 50, command: 'console.as' })).map((e) => e.subject)).toEqual(['console:operator', 'console:operator', 'console:operator']);
    const slack = await h.router.handle({ subject: bob, surface: 'slack', line: `approvals --as alice` });
    expect(slack.error?.code).toBe('usage');
    const nobody = await h.router.handle({ subject: { id: 'console:operator' }, surface: 'console', line: 'approvals --as dave' });
    expect(text(nobody.reply)).toContain('console identity');
  });

  it('config: approver roles must exist; rules are validated with their key path', () => {
    expect(() => parseConfigText('rbac: { roles: { admin: { allow: ["*"] } } }\napprovals: { rules: [{ commands: [restart], approvers: [sre-lead] }] }', 't.yaml', {})).toThrow(/approvals\.rules\[0\]\.approvers\[0\]: Unknown role "sre-lead"/);
    expect(() => approvalsSchema.parse({ rules: [{ commands: [], approvers: ['admin'] }] })).toThrow();
    expect(() => approvalsSchema.parse({ rules: [{ commands: ['x'], approvers: ['admin'], channel: 'C0' }] })).toThrow(/surface/);
    expect(approvalsSchema.parse({ rules: [{ commands: ['x'], approvers: ['admin'] }] }).rules[0]).toMatchObject({ count: 1, expires: 1_800_000, reason: 'optional' });
  });
});
