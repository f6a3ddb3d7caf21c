/**
 * Long operations show progress while they run: on the console of a real bot process (a real
 * SQLite backup and restore), and on Slack through the stand-in (the "Working on…" answer is
 * replaced through the response_url, at most once a second and within its five responses).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineCommand } from '../../src/core/command.js';
import { SLACK_PROGRESS_UPDATES } from '../../src/bot/adapters/slack/interactions.js';
import { startBotProcess, type RunningBot } from '../support/process.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';

describeWithServers(['sqlite3'], 'progress of long operations on the console (real bot process, real SQLite backup)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let bot: RunningBot | undefined;

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-progress-');
    const db = new Database(path.join(tmp.dir, 'app.db'));
    db.exec('create table t (id integer primary key, v text)');
    db.close();
    const config = path.join(tmp.dir, 'opsbot.yaml');
    await writeFile(config, `
targets:
  app:
    environment: staging
    backups:
      name: db
      kind: sqlite
      source: ${path.join(tmp.dir, 'app.db')}
      destination: ${path.join(tmp.dir, 'backups')}
bot: { consoleUser: 'console:tester' }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`);
    bot = startBotProcess(['start'], { HOST: '127.0.0.1', PORT: String(await freePort()), OPSBOT_DATA_DIR: path.join(tmp.dir, 'data'), OPSBOT_CONFIG: config });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await tmp?.cleanup();
  });

  it('given a backup and a restore typed on the console, then each prints its first step before its result', async () => {
    const b = bot as RunningBot;
    // When `backup run app` is typed
    b.send('backup run app');
    const out = await b.waitForOutput(/Backup of app: done and verified/, 60_000);
    // Then the dump step was printed as a progress line, before the result
    const step = out.indexOf('… Dumping app / db (sqlite)…');
    expect(step).toBeGreaterThanOrEqual(0);
    expect(step).toBeLessThan(out.indexOf('Backup of app: done and verified'));
    const id = /db-\d{8}-\d{6}-[0-9a-f]{4}/.exec(out)?.[0] as string;
    expect(id).toBeDefined();
    // When that backup is restored
    const before = out.length;
    b.send(`restore app ${id}`);
    const all = await b.waitForOutput(new RegExp(`Restored app from ${id}`), 60_000);
    // Then its verification step was printed first
    const rest = all.slice(before);
    expect(rest).toContain(`… Verifying ${id} before restoring it`);
    expect(rest.indexOf('… Verifying')).toBeLessThan(rest.indexOf(`Restored app from ${id}`));
  }, 120_000);
});

describe('progress of long operations on Slack (real Bolt, stand-in)', () => {
  let slack: SlackStandIn;
  let t: TestBot;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    t = await startTestBot({
      yaml: `
rbac:
  roles: { operator: { allow: ['*'] } }
  subjects: { slack:U0ALICE: [operator] }
slack:
  ackWithin: 300
`,
      env: slackEnv(slack),
      beforeStart: (bot) => {
        bot.registry.register(defineCommand({
          name: 'longtest',
          summary: 'Six steps of 600ms, each reported as progress',
          params: [],
          schema: z.object({}),
          risk: 'read',
          async run(ctx) {
            for (let i = 1; i <= 6; i++) {
              ctx.progress?.(`step ${i} of 6, password=hunter2`);
              await new Promise((r) => setTimeout(r, 600));
            }
            return { title: 'Long work done', status: 'ok', blocks: [{ type: 'text', text: 'all six steps' }], visibility: 'ephemeral' };
          },
        }));
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
  });

  it('given a slash command with six steps, then the ack shows the first, the response_url gets at most 3 updates a second apart, then the result', async () => {
    // When /ops longtest is typed
    const responseUrl = slack.responseUrl('long');
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'longtest', userId: 'U0ALICE', responseUrl });
    // Then the ack already names the step it is on, with the secret redacted
    const ack = res.json as { text: string };
    expect(ack.text).toContain('Working on `longtest`… step 1 of 6');
    expect(ack.text).not.toContain('hunter2');
    // And the answer is replaced with later steps, then the result arrives
    const result = await waitFor(() => slack.responsesTo(responseUrl).find((r) => JSON.stringify(r.body).includes('all six steps')), { what: 'result', timeoutMs: 15_000 });
    const posts = slack.responsesTo(responseUrl);
    const updates = posts.filter((p) => p.body.replace_original === true);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.length).toBeLessThanOrEqual(SLACK_PROGRESS_UPDATES);
    expect(posts.length).toBeLessThanOrEqual(5);
    for (const u of updates) {
      expect(u.body.text).toMatch(/Working on `longtest`… step [2-6] of 6/);
      expect(JSON.stringify(u.body)).not.toContain('hunter2');
      expect(u.at).toBeLessThan(result.at);
    }
    for (let i = 1; i < updates.length; i++) expect((updates[i]?.at ?? 0) - (updates[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(900);
  }, 30_000);
});
