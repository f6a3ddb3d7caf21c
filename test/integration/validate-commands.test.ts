/**
 * `opsbot validate-config` checks command names against the bot's command registry, as `start`
 * does: role allow / deny lists, approvals rules, jobs and runbook steps, each with its key path,
 * exit 78. It opens no connection: MONGODB_URL and REDIS_URL point at a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir } from '../support/servers.js';
import { runCli } from '../support/process.js';

const GOOD = `
targets:
  web: { environment: production, health: [ { name: up, tcp: { host: 127.0.0.1, port: 9 } } ] }
rbac:
  roles:
    ops: { allow: [health, restart, "backup *"], deny: ["user unlock-all"] }
    checker: { allow: [health], targets: [web] }
  subjects: { "console:operator": [ops] }
approvals:
  rules:
    - { commands: [restart], environments: [production], approvers: [ops] }
jobs:
  hourly: { cron: "0 * * * *", run: "health web", channel: console:ops, role: checker }
runbooks:
  check:
    steps:
      - run: "health {target}"
`;

const BAD = `
targets:
  web: { environment: production, health: [ { name: up, tcp: { host: 127.0.0.1, port: 9 } } ] }
rbac:
  roles:
    ops: { allow: [health, restrat, "bakup *"], deny: ["user unlock-everything"] }
    checker: { allow: [health], targets: [web] }
  subjects: { "console:operator": [ops] }
approvals:
  rules:
    - { commands: [restart, reboot], environments: [production], approvers: [ops] }
jobs:
  hourly: { cron: "0 * * * *", run: "helth web", channel: console:ops, role: checker }
runbooks:
  check:
    steps:
      - run: "health {target}"
      - run: "chek {target}"
`;

describe('validate-config checks command names', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-validate-'));
    const closed = await freePort();
    env = { MONGODB_URL: `mongodb://127.0.0.1:${closed}/x`, REDIS_URL: `redis://127.0.0.1:${closed}`, OPSBOT_DATA_DIR: path.join(dir, 'data') };
    await writeFile(path.join(dir, 'good.yaml'), GOOD);
    await writeFile(path.join(dir, 'bad.yaml'), BAD);
  });
  afterAll(async () => { await cleanup?.(); });

  it('given unknown command names in roles, approvals, jobs and runbooks, then each is listed with its key path and it exits 78', async () => {
    const file = path.join(dir, 'bad.yaml');
    const r = await runCli(['validate-config', file], env);
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Invalid configuration in ${file}:`);
    expect(r.stderr).toMatch(/rbac\.roles\.ops\.allow\[1\]: "restrat" is not a command/);
    expect(r.stderr).toMatch(/rbac\.roles\.ops\.allow\[2\]: "bakup \*" matches no command/);
    expect(r.stderr).toMatch(/rbac\.roles\.ops\.deny\[0\]: "user unlock-everything" is not a command/);
    expect(r.stderr).toMatch(/approvals\.rules\[0\]\.commands\[1\]: .*reboot/);
    expect(r.stderr).toMatch(/jobs\.hourly\.run: "helth web" is not a command/);
    expect(r.stderr).toMatch(/runbooks\.check\.steps\[1\]\.run: unknown command in "chek \{target\}"/);
    expect(r.stderr).not.toMatch(/ECONNREFUSED|\n\s+at /);
  }, 60_000);

  it('given the same config with good names, then it is valid, without reaching MongoDB or Redis', async () => {
    const r = await runCli(['validate-config', path.join(dir, 'good.yaml')], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — 1 target\(s\) \(web\)/);
  }, 60_000);
});
