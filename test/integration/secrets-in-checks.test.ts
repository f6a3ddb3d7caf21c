/**
 * Secrets in health-check URLs and headers never reach chat: not in a check's name, not in its
 * failure detail, neither through `opsbot exec` nor in Slack (the real Bolt app against the
 * protocol stand-in).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir } from '../support/servers.js';
import { runCli } from '../support/process.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';

const API_TOKEN = 'tok-4f9a1c77e2b3d5';
const LITERAL_SIG = 'sig-0d9e8f7a6b5c4d3e';
const HEADER_SECRET = 'hdr-77aa88bb99cc';

export async function secretChecksYaml(): Promise<string> {
  const closed = await freePort();
  return `
targets:
  api:
    health:
      - http: { url: "http://127.0.0.1:${closed}/status?token=\${API_TOKEN}&region=eu" }
      - http: { url: "http://127.0.0.1:${closed}/signed?sig=${LITERAL_SIG}" }
      - http: { url: "http://ops:\${API_TOKEN}@127.0.0.1:${closed}/basic" }
      - name: with header
        http: { url: "http://127.0.0.1:${closed}/h", headers: { X-Api-Key: "\${API_KEY}" } }
`;
}

export const SECRETS = [API_TOKEN, LITERAL_SIG, HEADER_SECRET];
/** A header value with a line break: fetch refuses it with a message that quotes the value. */
export const SECRET_ENV = { API_TOKEN, API_KEY: `${HEADER_SECRET}\n` };

describe('secrets in health checks, through opsbot exec', () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tmpDir();
    cleanup = t.cleanup;
    const configFile = path.join(t.dir, 'opsbot.yaml');
    await writeFile(configFile, `bot: { consoleUser: "console:tester" }
${await secretChecksYaml()}
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`);
    env = { OPSBOT_DATA_DIR: path.join(t.dir, 'data'), OPSBOT_CONFIG: configFile, ...SECRET_ENV };
  });
  afterAll(async () => { await cleanup(); });

  it('given a token in a check URL query, userinfo and a header, when `health all` runs, then no secret shows and names keep host and path', async () => {
    const text = await runCli(['exec', 'health all'], env);
    const json = await runCli(['exec', '--json', 'health all'], env);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      for (const s of SECRETS) expect(out).not.toContain(s);
    }
    expect(text.stdout).toContain('/status');
    expect(text.stdout).toContain('/signed');
    expect(text.stdout).not.toContain('region=eu');
  }, 60_000);
});

describe('secrets in health checks, in Slack', () => {
  let slack: SlackStandIn;
  let t: TestBot;
  beforeAll(async () => {
    slack = await startSlackStandIn();
    t = await startTestBot({
      yaml: `${await secretChecksYaml()}
rbac:
  roles: { viewer: { allow: [health] } }
  subjects: { "slack:U0ALICE": [viewer] }
`,
      env: { ...slackEnv(slack), ...SECRET_ENV },
    });
  });
  afterAll(async () => {
    await t.stop();
    await slack.close();
  });

  it('given a token in a check URL, when `/ops health all` runs in Slack, then neither the ack nor anything posted shows it', async () => {
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'health all', userId: 'U0ALICE' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const everything = JSON.stringify([res.json, slack.responses, slack.calls]);
    expect(everything).toContain('/status');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});
