/** Slack users become RBAC subjects with their user groups, read through the Web API and cached. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { SlackWeb } from '../../src/bot/adapters/slack/web.js';
import { SlackSubjects } from '../../src/bot/adapters/slack/subjects.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';

describe('Slack subjects and user groups', () => {
  let slack: SlackStandIn;
  let web: SlackWeb;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    slack = await startSlackStandIn();
    web = new SlackWeb({ token: slack.botToken, apiUrl: slack.apiUrl, log });
  });
  afterAll(async () => { await slack.close(); });
  beforeEach(() => {
    slack.reset();
    slack.usergroups = [
      { id: 'S0ONCALL', handle: 'oncall', users: ['U1', 'U2'] },
      { id: 'S0DBA', handle: 'dba', users: ['U2'] },
    ];
  });

  it('maps a user to slack:U… with every group they are in, from one cached lookup', async () => {
    let now = 1_000;
    const subjects = new SlackSubjects({ web, ttlMs: 60_000, log, now: () => now });
    // When three users are resolved
    const [u1, u2, u3] = await Promise.all([subjects.subjectOf('U1', 'alice'), subjects.subjectOf('U2'), subjects.subjectOf('U3')]);
    // Then each has their own subject and their groups
    expect(u1).toEqual({ id: 'slack:U1', groups: ['slack:usergroup:S0ONCALL'], display: '@alice' });
    expect(u2?.groups).toEqual(['slack:usergroup:S0ONCALL', 'slack:usergroup:S0DBA']);
    expect(u3).toEqual({ id: 'slack:U3', display: '<@U3>' });
    // And the Web API was asked once, with the members included
    expect(slack.callsTo('usergroups.list')).toHaveLength(1);
    expect(slack.callsTo('usergroups.list')[0]?.args.include_users).toBe('true');
    // When the cache expires and membership changed, the next lookup sees it
    slack.usergroups = [{ id: 'S0ONCALL', handle: 'oncall', users: ['U3'] }];
    now += 30_000;
    expect(await subjects.groupsOf('U3')).toEqual([]);
    now += 31_000;
    expect(await subjects.groupsOf('U3')).toEqual(['slack:usergroup:S0ONCALL']);
    expect(slack.callsTo('usergroups.list')).toHaveLength(2);
  });

  it('given a user_id shaped like a user group, then it is refused and never becomes the group subject', async () => {
    const subjects = new SlackSubjects({ web, ttlMs: 60_000, log });
    await expect(subjects.subjectOf('usergroup:S0ONCALL')).rejects.toThrow(/is not a Slack user id/);
    await expect(subjects.subjectOf('U1:x')).rejects.toThrow(/is not a Slack user id/);
    expect((await subjects.subjectOf('U1')).id).toBe('slack:U1');
  });

  it('a failing lookup leaves users with their own subject only (fewer rights, never more)', async () => {
    slack.failNext('usergroups.list', { status: 400 });
    const subjects = new SlackSubjects({ web, ttlMs: 60_000, log });
    expect(await subjects.subjectOf('U1')).toEqual({ id: 'slack:U1', display: '<@U1>' });
  });

  it('a rate-limited lookup does not hold commands longer than the lookup timeout', async () => {
    // Given Slack rate-limits the lookup for 3 seconds
    slack.failNext('usergroups.list', { status: 429, retryAfter: 3 });
    const subjects = new SlackSubjects({ web, ttlMs: 60_000, log, lookupTimeoutMs: 200 });
    // When a user is resolved, the answer comes after the timeout, without groups
    const started = Date.now();
    expect(await subjects.groupsOf('U1')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
    // And once the retried lookup lands, the groups are there
    await new Promise((r) => setTimeout(r, 3_300));
    expect(await subjects.groupsOf('U1')).toEqual(['slack:usergroup:S0ONCALL']);
    expect(slack.callsTo('usergroups.list').map((c) => c.status)).toEqual([429, 200]);
  });
});
