/**
 * A press is judged by the approvals rules in force, not only by the re-check a reload runs: when
 * that re-check could not finish (the store failed half-way), a request held under the old rule
 * must not run on the old rule's single approval.
 */
import { describe, expect, it } from '@jest/globals';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { approvalsSchema } from '../../src/config/approvals-schema.js';
import { APPROVALS, approvalsHarness, slackUser } from '../support/approvals.js';
import { FaultyStore } from '../support/faulty-store.js';

const alice = slackUser('U0ALICE');
const bob = slackUser('U0BOB');

/** The production patch rule now needs two admins. */
const stricter = approvalsSchema.parse({
  ...APPROVALS,
  rules: [{ ...APPROVALS.rules[0], approvers: ['admin'], count: 2 }, APPROVALS.rules[1]],
});

describe('approvals: a press after a reload whose re-check failed', () => {
  it('given a request held under the old rule and a reload whose re-check of pending requests failed, when an approver of the old rule presses, then nothing runs and the request is cancelled with the reason', async () => {
    const store = new FaultyStore(await EmbeddedStore.open(null));
    const h = await approvalsHarness({ store });
    const held = await h.router.handle({ subject: alice, surface: 'slack', channel: 'C0OPS', line: 'patch pixelforge --reason "CVE-2026-1234"' });
    const id = held.pending?.approval as string;
    expect(id).toBeDefined();

    // Given: the new rules are in force, but their re-check of pending requests failed on the store.
    store.arm();
    await h.service.setPolicy(approvalsSchema.parse(APPROVALS));
    const read = store.calls.findIndex((c) => c.endsWith('.find'));
    expect(read).toBeGreaterThanOrEqual(0);
    store.arm({ call: read, mode: 'reject' });
    await expect(h.service.setPolicy(stricter)).rejects.toThrow(/injected reject/);
    expect((await h.service.find(id))?.state).toBe('pending');

    // When bob (sre-lead: an approver of the old rule only) presses
    const press = await h.router.handle({ subject: bob, surface: 'slack', channel: 'C0APPROVALS', line: `approve ${id}` });
    await h.service.settled();

    // Then nothing ran; the request is cancelled, saying why
    expect(press.outcome).not.toBe('ok');
    expect(JSON.stringify(press.reply)).toContain('approvers sre-lead, staging-lead, admin → admin');
    expect(h.runs).toEqual([]);
    expect((await h.service.find(id))?.state).toBe('cancelled');
  });
});
