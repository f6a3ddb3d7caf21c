/** Which edits of a config reload in place and which need a restart (src/wiring/reload/keys.ts, README "Reloading the configuration"). */
import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';
import { configChanges, restartProblem } from '../../src/wiring/reload/keys.js';

const base = `
bot: { consoleUser: "console:op" }
people:
  alice: { slack: U0ALICE, roles: [operator] }
targets:
  web: { environment: production, health: [ { name: up, tcp: { host: 127.0.0.1, port: 9 } } ] }
rbac:
  roles: { operator: { allow: [health] }, admin: { allow: ["*"] } }
  subjects: { "console:op": [admin] }
alerting:
  defaultChannel: console:alerts
  routes: [ { matchers: ['severity="critical"'], channels: [console:page] } ]
jobs:
  nightly: { cron: "0 3 * * *", run: "health web", role: operator, channel: console:jobs }
`;
const parse = (text: string) => parseConfigText(text, 'test.yaml', {});

describe('config reload: what changed, and how it applies', () => {
  it('given the same file, then nothing changed', () => {
    expect(configChanges(parse(base), parse(base))).toEqual({ live: [], restart: [] });
  });

  it('given edits of rbac, people, routes, the default channel and a job, then each is a live change by its key', () => {
    const next = base
      .replace('operator: { allow: [health] }', 'operator: { allow: [health, whoami] }')
      .replace('roles: [operator]', 'roles: [admin]')
      .replace('channels: [console:page]', 'channels: [console:page2]')
      .replace('defaultChannel: console:alerts', 'defaultChannel: console:other')
      .replace('0 3 * * *', '0 4 * * *');
    const changes = configChanges(parse(base), parse(next));
    expect(changes.restart).toEqual([]);
    expect(changes.live.sort()).toEqual(['alerting.defaultChannel', 'alerting.routes', 'jobs', 'people', 'rbac'].sort());
  });

  it('given edits of a bot setting and the webhook body limit, then each needs a restart and is named below its top-level key', () => {
    const next = base
      .replace('bot: { consoleUser: "console:op" }', 'bot: { consoleUser: "console:op", commandTimeout: 2m }')
      .replace('alerting:\n', 'alerting:\n  bodyLimit: 2mb\n');
    const changes = configChanges(parse(base), parse(next));
    expect(changes.live).toEqual([]);
    expect(changes.restart.sort()).toEqual(['alerting.bodyLimit', 'bot.commandTimeout']);
    expect(restartProblem(changes.restart)).toMatch(/restart to apply/);
  });

  it('given edits of the chat rate, the storm settings, the Silence button and the target labels, then they are live changes of alerting', () => {
    const next = base.replace('alerting:\n', 'alerting:\n  rate: { messages: 5, per: 1s }\n  storm: { threshold: 3 }\n  silenceButton: 2h\n  targetLabels: [host]\n');
    const changes = configChanges(parse(base), parse(next));
    expect(changes.restart).toEqual([]);
    expect(changes.live.sort()).toEqual(['alerting.rate', 'alerting.silenceButton', 'alerting.storm', 'alerting.targetLabels']);
  });

  it('given an edit of retention, then it is a live change', () => {
    const next = `${base}retention: { audit: 30d, interval: 2h }\n`;
    expect(configChanges(parse(base), parse(next))).toEqual({ live: ['retention'], restart: [] });
  });

  it('given an edited target, a new target and a new SSH host, then they are live changes of targets and hosts', () => {
    const next = base
      .replace('environment: production', 'environment: staging')
      .replace('targets:\n', 'hosts:\n  box: { address: 127.0.0.1, user: ops, privateKeyFile: /nonexistent }\ntargets:\n  db: { environment: production }\n');
    expect(configChanges(parse(base), parse(next))).toEqual({ live: ['targets', 'hosts'], restart: [] });
  });
});
