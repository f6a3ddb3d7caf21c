/**
 * RBAC never fails open: every command that names no target (health all, checklist all, status,
 * backup status, alerts, ack, resolve, silence) is checked against every target it touches,
 * typed and by button, through the router with the real handlers, for a role limited to
 * `targets: [staging-*]` and one limited to `environments: [staging]`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestBot, type TestBot } from '../support/bot.js';
import { freePort, tmpDir } from '../support/servers.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { slackSubjectId } from '../../src/bot/adapters/slack/subjects.js';
import type { Subject } from '../../src/core/command.js';

const target = (name: string, environment: string, port: number, dir: string) => `
  ${name}:
    environment: ${environment}
    health:
      - name: ${name} port
        tcp: { host: 127.0.0.1, port: ${port} }
    container: { name: ${name} }
    backups: { name: db, kind: sqlite, source: ${dir}/${name}.db, destination: ${dir}/backups/${name} }`;

const COMMANDS = '[health, checklist, status, "backup status", alerts, ack, resolve, silence]';
const yaml = (port: number, dir: string) => `
targets:${target('staging-web', 'staging', port, dir)}${target('staging-db', 'staging', port, dir)}${target('qa-api', 'staging', port, dir)}${target('prod-db', 'production', port, dir)}
rbac:
  roles:
    admin: { allow: ["*"] }
    stager: { allow: ${COMMANDS}, targets: ["staging-*"] }
    stagenv: { allow: ${COMMANDS}, environments: [staging] }
  subjects:
    console:operator: [admin]
    slack:U0STAGER: [stager]
    "discord:role:900": [stagenv]
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 1000, per: 1s }
`;

/** The subjects the Slack and Discord adapters build for these users. */
const STAGER: Subject = { id: slackSubjectId('U0STAGER'), display: '@stager' };
const STAGENV: Subject = { id: 'discord:user:700000000000000009', groups: ['discord:role:900'], display: '@stagenv' };
const ADMIN: Subject = { id: 'console:operator' };

/** Alert groups by what their labels name. */
const GROUPS = {
  prod: { target: 'prod-db' },
  staging: { target: 'staging-web' },
  qa: { instance: 'qa-api:9100' },
  envOnly: { environment: 'staging' },
  nothing: { region: 'eu' },
} as const;
type GroupKind = keyof typeof GROUPS | 'mixed';

/** Which groups each role may act on, and which targets it sees. */
const SCOPE = {
  stager: { subject: STAGER, sees: ['staging-web', 'staging-db'], hides: ['qa-api', 'prod-db'], groups: ['staging'] as GroupKind[] },
  stagenv: { subject: STAGENV, sees: ['staging-web', 'staging-db', 'qa-api'], hides: ['prod-db'], groups: ['staging', 'qa', 'envOnly'] as GroupKind[] },
};
const ALL_KINDS: GroupKind[] = ['prod', 'staging', 'qa', 'envOnly', 'nothing', 'mixed'];

describe('RBAC scope of commands without a target (router, real handlers)', () => {
  let t: TestBot;
  let tcp: net.Server;
  let dir: { dir: string; cleanup: () => Promise<void> };
  const chat = new RecordingGateway('fake');

  const run = (subject: Subject, line: string, surface = 'slack') => t.bot.router.handle({ subject, surface, line, channel: 'C0OPS' });
  const text = (v: unknown) => JSON.stringify(v);

  /** Posts one group of each kind (names prefixed, so each test has its own) and returns their ids. */
  async function makeGroups(prefix: string): Promise<Record<GroupKind, string>> {
    const ids = {} as Record<GroupKind, string>;
    for (const kind of ALL_KINDS) {
      const alertname = `${prefix}-${kind}`;
      const alerts = kind === 'mixed'
        ? [{ labels: { target: 'staging-web' } }, { labels: { target: 'prod-db' } }]
        : [{ labels: { ...GROUPS[kind] } }];
      await t.bot.alerts.receive(payload({ alertname, alerts }));
    }
    await t.bot.alerts.settled();
    for (const g of await t.bot.alerts.listOpen(1000)) {
      const name = g.commonLabels.alertname ?? '';
      if (name.startsWith(`${prefix}-`)) ids[name.slice(prefix.length + 1) as GroupKind] = g._id;
    }
    expect(Object.keys(ids).sort()).toEqual([...ALL_KINDS].sort());
    made.push(...Object.values(ids));
    return ids;
  }
  const made: string[] = [];
  /** Resolves what a test made, so the lists of the next tests show only the `list-` groups. */
  async function cleanUp(): Promise<void> {
    for (const id of made.splice(0)) {
      const g = await t.bot.alerts.find(id);
      if (g.open) await t.bot.alerts.resolve(id, 'test cleanup');
    }
  }

  beforeAll(async () => {
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    dir = await tmpDir('opsbot-scope-');
    t = await startTestBot({
      http: false,
      yaml: yaml((tcp.address() as AddressInfo).port, dir.dir),
      env: { DOCKER_HOST: `tcp://127.0.0.1:${await freePort()}` },
      extra: { chatGateways: [chat] },
    });
    await makeGroups('list');
    made.length = 0;
  });
  afterEach(() => cleanUp());

  afterAll(async () => {
    await t?.stop();
    await new Promise((r) => tcp?.close(r));
    await dir?.cleanup();
  });

  describe.each(Object.entries(SCOPE))('a role limited like %s', (_role, scope) => {
    it.each(['health all', 'health', 'checklist all', 'status', 'status all', 'backup status', 'backup status all'])('`%s` shows only the targets in scope and says how many were hidden', async (line) => {
      // When the scoped user runs a command that names no target
      const r = await run(scope.subject, line);
      // Then it ran, with only the visible targets in the reply
      expect(r.outcome).not.toBe('denied');
      const body = text(r.reply.blocks);
      for (const name of scope.sees) expect(body).toContain(name);
      for (const name of scope.hides) expect(body).not.toContain(name);
      // And it says how many targets the scope hid
      const n = scope.hides.length;
      expect(body).toContain(`${n} ${n === 1 ? 'target' : 'targets'} hidden by your role's scope`);
    });

    it('`checklist all` lists only the alert groups in scope', async () => {
      const r = await run(scope.subject, 'checklist all');
      const body = text(r.reply.blocks);
      for (const kind of ALL_KINDS) {
        if (scope.groups.includes(kind)) expect(body).toContain(`list-${kind}`);
        else expect(body).not.toContain(`list-${kind}`);
      }
      expect(body).toContain(`${ALL_KINDS.length - scope.groups.length} open alert groups hidden by your role's scope`);
    });

    it('`alerts` lists only the groups in scope, and `alerts <id>` of another is refused', async () => {
      const r = await run(scope.subject, 'alerts');
      const body = text(r.reply);
      for (const kind of ALL_KINDS) {
        if (scope.groups.includes(kind)) expect(body).toContain(`list-${kind}`);
        else expect(body).not.toContain(`list-${kind}`);
      }
      expect(r.reply.title).toBe(`Open alert groups: ${scope.groups.length}`);
      expect(body).toContain(`${ALL_KINDS.length - scope.groups.length} open alert groups hidden by your role's scope`);
      const prod = (await t.bot.alerts.listOpen(1000)).find((g) => g.commonLabels.alertname === 'list-prod');
      const one = await run(scope.subject, `alerts ${prod?._id}`);
      expect(one.outcome).toBe('denied');
      expect(text(one.reply)).not.toContain('list-prod');
    });

    it('a dry run of `health all` names only the targets in scope', async () => {
      const r = await run(scope.subject, 'health all --dry-run');
      const body = text(r.reply.blocks);
      for (const name of scope.sees) expect(body).toContain(name);
      for (const name of scope.hides) expect(body).not.toContain(name);
    });

    it('a named target out of scope is refused', async () => {
      for (const name of scope.hides) {
        const r = await run(scope.subject, `health ${name}`);
        expect(r.outcome).toBe('denied');
      }
    });

    it.each(['typed', 'button'] as const)('ack, resolve and silence (%s) are refused on every alert outside the scope', async (how) => {
      // Given one group of each kind, made for this test
      const ids = await makeGroups(`${_role}-${how}`);
      for (const kind of ALL_KINDS) {
        const id = ids[kind];
        // The lines the alert message's buttons carry, or the same commands typed
        const buttons = ((await t.bot.alerts.renderFor(await t.bot.alerts.find(id))).buttons ?? []).flatMap((b) => ('command' in b && b.command ? [b.command] : []));
        const lines = how === 'button'
          ? buttons.filter((l) => /^(ack|silence) /.test(l)).concat(buttons.filter((l) => l.startsWith('resolve ')))
          : [`ack ${id}`, `silence ${id} 30m maintenance`, `resolve ${id}`];
        expect(lines.map((l) => l.split(' ')[0])).toEqual(['ack', 'silence', 'resolve']);
        for (const line of lines) {
          const r = await run(scope.subject, line, how === 'button' ? 'discord' : 'slack');
          if (scope.groups.includes(kind)) {
            // In scope: RBAC lets it through (silence then needs Alertmanager, which this bot has not)
            expect({ kind, line, title: r.reply.title, outcome: r.outcome }).toMatchObject({ outcome: line.startsWith('silence') ? 'failed' : 'ok' });
          } else {
            expect({ kind, line, outcome: r.outcome, title: r.reply.title }).toMatchObject({ outcome: 'denied', title: 'Permission denied' });
          }
        }
        // And a refused group was left as it was
        const g = await t.bot.alerts.find(id);
        if (!scope.groups.includes(kind)) expect({ kind, acked: g.ackedBy, open: g.open }).toEqual({ kind, acked: undefined, open: true });
        else expect({ kind, open: g.open }).toEqual({ kind, open: false });
      }
    });
  });

  it('whoami tells a scoped user what they may run where', async () => {
    const r = await run(STAGER, 'whoami');
    expect(r.outcome).toBe('ok');
    const rows = (r.reply.blocks.find((b) => b.type === 'table' && b.title?.startsWith('You may run')) as { rows: string[][] }).rows;
    expect(rows.map((row) => row[0])).toEqual(['health', 'status', 'backup status', 'checklist', 'alerts', 'ack', 'resolve', 'silence']);
    expect(rows.every((row) => row[1] === 'stager' && row[2] === 'targets staging-*; all environments')).toBe(true);
    const env = await run(STAGENV, 'whoami');
    expect(JSON.stringify(env.reply.blocks)).toContain('all targets; environments staging');
    expect(JSON.stringify(env.reply.blocks)).toContain('discord:role:900');
  });

  it('names the targets a refused alert command would touch', async () => {
    const ids = await makeGroups('reason');
    const r = await run(STAGER, `ack ${ids.mixed}`);
    expect(r.outcome).toBe('denied');
    expect(text(r.reply.blocks)).toContain('on staging-web (staging), prod-db (production)');
    const none = await run(STAGENV, `ack ${ids.nothing}`);
    expect(text(none.reply.blocks)).toContain('something that names no target');
    // And the denials are audited as such
    const denied = (await t.bot.audit.list({ limit: 20, command: 'ack' })).filter((e) => e.decision === 'denied');
    expect(denied.map((e) => e.subject)).toEqual(expect.arrayContaining([STAGER.id, STAGENV.id]));
  });

  it('a role without a limit acts on an alert that names no target, and sees every target', async () => {
    const ids = await makeGroups('admin');
    expect((await run(ADMIN, `ack ${ids.nothing}`, 'console')).outcome).toBe('ok');
    const r = await run(ADMIN, 'health all', 'console');
    expect(text(r.reply.blocks)).not.toContain('hidden by your role');
    for (const name of ['staging-web', 'staging-db', 'qa-api', 'prod-db']) expect(text(r.reply.blocks)).toContain(name);
  });
});
