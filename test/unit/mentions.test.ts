/**
 * Surface-neutral mentions: config refuses raw chat syntax (naming the key), routes resolve
 * `person:<id>` per channel, and each renderer turns only the configured mentions into real
 * pings (Discord's allowed_mentions lists exactly them); label text never pings.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { AlertRouter } from '../../src/core/alerts/routing.js';
import { People } from '../../src/core/people.js';
import { parseMentionRefs, mentionsFor } from '../../src/core/mentions.js';
import type { Reply } from '../../src/core/reply.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { discordMessageProblems } from '../../src/bot/adapters/discord/fit.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';

const customId = (command: string, i: number) => `ops:${i}:${command}`;

function problemsOf(yaml: string): string {
  try {
    parseConfigText(yaml, 't.yaml', {});
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
}

const PEOPLE = `
people:
  alice: { slack: U0ALICE, discord: "700000000000000001", console: alice }
  bob: { slack: U0BOB }
`;

describe('mentions in config', () => {
  it('given surface-neutral mentions on a route and an escalation step, then they parse', () => {
    const cfg = parseConfigText(`${PEOPLE}
alerting:
  routes:
    - { matchers: ['team="db"'], channels: [slack:C0DB, discord:42], mention: "@here slack:usergroup:S0DBA discord:role:800 person:alice" }
escalationPolicies:
  db:
    steps:
      - notify: [{ channel: slack:C0OPS, mention: ["@channel", "slack:user:U0BOB"] }]
`, 't.yaml', {});
    expect(cfg.alerting.routes[0]?.mention).toEqual([
      { kind: 'here' }, { kind: 'group', surface: 'slack', id: 'S0DBA' }, { kind: 'group', surface: 'discord', id: '800' }, { kind: 'person', id: 'alice' },
    ]);
    expect(cfg.escalationPolicies.db?.steps[0]?.notify[0]).toEqual({ channel: 'slack:C0OPS', mention: [{ kind: 'channel' }, { kind: 'user', surface: 'slack', id: 'U0BOB' }] });
  });

  it('given raw Slack syntax, then validation fails naming the key and the neutral form to write', () => {
    const problems = problemsOf(`
alerting:
  routes:
    - { channels: [slack:C0DB], mention: "<!here>" }
    - { channels: [slack:C0DB], mention: "<!subteam^S0DBA|dba>" }
    - { channels: [slack:C0DB], mention: "<@U0BOB>" }
escalationPolicies:
  db:
    steps:
      - notify: [{ channel: slack:C0OPS, mention: "<!channel>" }]
`);
    expect(problems).toContain('alerting.routes[0].mention: "<!here>" is raw chat syntax; write the surface-neutral @here');
    expect(problems).toContain('alerting.routes[1].mention: "<!subteam^S0DBA|dba>" is raw chat syntax; write the surface-neutral slack:usergroup:S0DBA');
    expect(problems).toContain('alerting.routes[2].mention: "<@U0BOB>" is raw chat syntax; write the surface-neutral slack:user:U0BOB');
    expect(problems).toMatch(/escalationPolicies\.db\.steps\[0\]\.notify\[0\].*"<!channel>" is raw chat syntax; write the surface-neutral @channel/);
  });

  it('given an unknown word, an unknown person or a mention no channel of its surface can carry, then each is an error with its key', () => {
    const problems = problemsOf(`${PEOPLE}
alerting:
  routes:
    - { channels: [slack:C0DB], mention: "@oncall" }
    - { channels: [slack:C0DB], mention: "discord:role:800" }
escalationPolicies:
  db:
    steps:
      - notify: [{ group: slack:usergroup:S0DBA, channel: discord:42 }]
`);
    expect(problems).toContain('alerting.routes[0].mention: "@oncall" is not a mention; write @here, @channel');
    expect(problems).toContain('alerting.routes[1].mention: discord:role:800 can ping only in a discord: channel, and there is none here (channels: slack:C0DB)');
    expect(problems).toContain('escalationPolicies.db.steps[0].notify[0].group: slack:usergroup:S0DBA can ping only in a slack: channel, not discord:42');
  });

  it('given a person who is not in people:, then the route and the step name the key', () => {
    const problems = problemsOf(`${PEOPLE}
alerting:
  routes:
    - { channels: [slack:C0DB], mention: "person:zed" }
escalationPolicies:
  db:
    steps:
      - notify: [{ channel: slack:C0OPS, mention: "@here person:zed" }]
`);
    expect(problems).toContain('alerting.routes[0].mention: Unknown person "zed" in person:zed (people: alice, bob)');
    expect(problems).toContain('escalationPolicies.db.steps[0].notify[0].mention: Unknown person "zed"');
  });
});

describe('mentions resolved per channel', () => {
  const people = new People({ alice: { identities: ['slack:U0ALICE', 'discord:user:700000000000000001', 'console:alice'], roles: [] } });
  const refs = parseMentionRefs('@here slack:usergroup:S0DBA discord:role:800 person:alice').refs;

  it('given a route to Slack, Discord and the console, then each channel gets its surface\'s mentions and alice as her identity there', () => {
    const router = new AlertRouter([{ matchers: [], channels: ['slack:C0DB', 'discord:42', 'console:alerts'], mention: refs, continue: false }], 'console:alerts', people);
    const [slack, discord, console] = router.route({});
    expect(slack?.mentions).toEqual([{ kind: 'here' }, { kind: 'group', surface: 'slack', id: 'S0DBA' }, { kind: 'user', surface: 'slack', id: 'U0ALICE' }]);
    expect(discord?.mentions).toEqual([{ kind: 'here' }, { kind: 'group', surface: 'discord', id: '800' }, { kind: 'user', surface: 'discord', id: '700000000000000001' }]);
    expect(console?.mentions).toEqual([{ kind: 'here' }, { kind: 'user', surface: 'console', id: 'alice' }]);
  });

  it('given a person without an identity on the surface, then nobody is pinged for them there', () => {
    expect(mentionsFor(parseMentionRefs('person:alice').refs, 'teams:X', people)).toEqual([]);
  });
});

const dir = path.join(process.cwd(), 'test', 'golden');
function golden(name: string, value: unknown): void {
  const file = path.join(dir, name);
  const text = typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** An alert whose labels try every ping syntax there is. */
const hostile = (mentions: Reply['mentions']): Reply => ({
  title: '[FIRING:1] DiskFull <!channel> @everyone',
  status: 'fail',
  blocks: [
    { type: 'text', text: 'Disk full <!here> <!subteam^S0EVIL> <@U0EVIL> <@&999> <@999> @here' },
    { type: 'fields', fields: [{ label: 'Labels', value: 'team=<!everyone> owner=<@&999>' }] },
  ],
  buttons: [{ label: 'Acknowledge', command: 'ack a1b2', style: 'primary' }],
  visibility: 'channel',
  footer: 'alert a1b2',
  ...(mentions ? { mentions } : {}),
});

describe('rendering mentions', () => {
  it('Slack: the configured mentions lead as real pings (blocks and notification text); label text stays escaped', () => {
    const msg = renderSlack(hostile([{ kind: 'here' }, { kind: 'group', surface: 'slack', id: 'S0DBA' }, { kind: 'user', surface: 'slack', id: 'U0ALICE' }, { kind: 'group', surface: 'discord', id: '800' }]));
    expect(slackLimitViolations(msg)).toEqual([]);
    expect(msg.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '<!here> <!subteam^S0DBA> <@U0ALICE>' } });
    expect(msg.text.startsWith('<!here> <!subteam^S0DBA> <@U0ALICE> ')).toBe(true);
    const rest = JSON.stringify(msg.blocks.slice(1)) + msg.text.slice('<!here> <!subteam^S0DBA> <@U0ALICE> '.length);
    expect(rest).not.toMatch(/<[!@]/);
    golden('slack-alert-mentions.json', msg);
  });

  it('Slack: without mentions nothing pings, whatever the labels say', () => {
    const msg = renderSlack(hostile(undefined));
    expect(JSON.stringify(msg)).not.toMatch(/<[!@]/);
  });

  it('Discord: the pings lead the content and allowed_mentions lists exactly them', () => {
    const msg = renderDiscord(hostile([{ kind: 'here' }, { kind: 'group', surface: 'discord', id: '800' }, { kind: 'user', surface: 'discord', id: '700000000000000001' }, { kind: 'group', surface: 'slack', id: 'S0DBA' }]), { customId });
    expect(discordMessageProblems(msg)).toEqual([]);
    expect(msg.content).toBe('@here <@&800> <@700000000000000001>');
    expect(msg.allowed_mentions).toEqual({ parse: ['everyone'], roles: ['800'], users: ['700000000000000001'] });
    golden('discord-alert-mentions.json', msg);
  });

  it('Discord: a role alone lets only that role through (no @here/@everyone from the label text)', () => {
    const msg = renderDiscord(hostile([{ kind: 'group', surface: 'discord', id: '800' }]), { customId });
    expect(msg.content).toBe('<@&800>');
    expect(msg.allowed_mentions).toEqual({ parse: [], roles: ['800'] });
  });

  it('Discord: without mentions, allowed_mentions lets nothing through', () => {
    const msg = renderDiscord(hostile(undefined), { customId });
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.content).toBeUndefined();
  });

  it('console: the mentions lead in plain words', () => {
    const text = renderConsole(hostile([{ kind: 'here' }, { kind: 'user', surface: 'console', id: 'alice' }]), { colour: false });
    expect(text.split('\n')[0]).toBe('@here @alice');
    golden('console-alert-mentions.txt', text);
  });
});
