/**
 * The real `opsbot` process with Slack credentials: the Slack surface starts instead of the
 * console, serves signed slash commands on the bot's one port, and `slack-manifest` prints a
 * manifest. A token Slack refuses stops start-up with exit code 1 and the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess } from '../support/process.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';

describe('opsbot process with Slack', () => {
  let slack: SlackStandIn;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    ({ dir, cleanup } = await tmpDir());
  });
  afterAll(async () => {
    await slack.close();
    await cleanup();
  });

  it('starts the Slack surface (not the console) and answers a signed /ops help', async () => {
    const port = await freePort();
    const bot = startBotProcess(['start'], { ...slackEnv(slack), PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: dir, OPSBOT_CONFIG: 'config/default.yaml' });
    try {
      const base = `http://127.0.0.1:${port}`;
      const ready = await waitFor(async () => {
        if (bot.child.exitCode !== null) throw new Error(`bot exited: ${bot.stderr()}`);
        const r = await fetch(`${base}/readyz`);
        const body = (await r.json()) as { checks: Record<string, { ready: boolean }> };
        return r.status === 200 && body;
      }, { what: 'readyz 200', timeoutMs: 30_000 });
      expect(bot.stderr()).toContain('slack surface started');
      expect(ready.checks['surface:slack']).toEqual({ ready: true });
      expect(Object.keys(ready.checks)).not.toContain('surface:console');
      const res = await slack.sendSlashCommand(base, { text: 'help', userId: 'U0ANY' });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.json)).toContain('opsbot commands');
      const forged = await slack.sendSlashCommand(base, { text: 'help', userId: 'U0ANY' }, { secret: 'wrong' });
      expect(forged.status).toBe(401);
      expect(bot.stderr() + bot.stdout()).not.toContain(slack.signingSecret);
      expect(bot.stderr() + bot.stdout()).not.toContain(slack.botToken);
    } finally {
      expect(await bot.stop()).toBe(0);
    }
  }, 90_000);

  it('exits 1 with the reason when Slack refuses the token', async () => {
    const port = await freePort();
    const r = await runCli(['start'], { ...slackEnv(slack), SLACK_BOT_TOKEN: 'xoxb-revoked', PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: dir, LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/auth\.test failed: .*invalid_auth/);
  }, 90_000);

  it('slack-manifest prints a manifest for the URL, and refuses to guess one', async () => {
    // Three runs of the real CLI at once (each starts tsx, slow on a busy machine).
    const [ok, yaml, bad] = await Promise.all([
      runCli(['slack-manifest', '--url', 'https://ops.example.com'], {}),
      runCli(['slack-manifest', '--socket', '--yaml'], {}),
      runCli(['slack-manifest'], {}),
    ]);
    expect(ok.code).toBe(0);
    const manifest = JSON.parse(ok.stdout) as { features: { slash_commands: { url: string }[] } };
    expect(manifest.features.slash_commands[0]?.url).toBe('https://ops.example.com/slack/events');
    expect(yaml.stdout).toContain('socket_mode_enabled: true');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--url');
  }, 90_000);
});
