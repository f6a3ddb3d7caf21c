/**
 * Role `allow` / `deny` lists are checked against the commands the bot registered, at start-up:
 * a name that is no command (a typo, or a command not built yet) stops the bot with its key path.
 */
import { describe, expect, it } from '@jest/globals';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestBot } from '../support/bot.js';
import { ConfigError } from '../../src/config/load.js';
import { runCli } from '../support/process.js';
import { tmpDir } from '../support/servers.js';

/** Values for the `${VARS}` of an example config, of the shape its keys expect. */
function sampleEnv(text: string): Record<string, string> {
  const sample = (name: string) => (/MONGO/.test(name) ? 'mongodb://127.0.0.1:1/app' : /REDIS/.test(name) ? 'redis://127.0.0.1:1'
    : /DATABASE_URL/.test(name) ? 'postgres://app@127.0.0.1:1/app' : /URL$/.test(name) ? 'http://127.0.0.1:1' : 'x');
  return Object.fromEntries([...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1], sample(m[1] as string)]));
}

describe('RBAC command lists at start-up', () => {
  it('given a role that allows a command that does not exist, then the bot does not start and names the key', async () => {
    const start = startTestBot({
      http: false,
      yaml: `
rbac:
  roles:
    viewer: { allow: [health, nosuchcmd], deny: ["nosuch *"] }
    admin: { allow: ["*"] }
  subjects:
    console:operator: [admin]
`,
    });
    const error = await start.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^rbac\.roles\.viewer\.allow\[1\]: "nosuchcmd" is not a command \(commands: help, whoami, health/),
      expect.stringMatching(/^rbac\.roles\.viewer\.deny\[0\]: "nosuch \*" matches no command/),
    ]);
  });

  it('the shipped default and every example config start with the commands that exist', async () => {
    const files = ['config/default.yaml', ...(await readdir('config/examples')).filter((f) => f.endsWith('.yaml')).map((f) => `config/examples/${f}`)];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const started = await startTestBot({ http: false, yaml: text, env: { ...sampleEnv(text), PORT: '3000' } }).then((t) => t, (e: unknown) => e);
      expect({ file, problems: started instanceof ConfigError ? started.problems : [] }).toEqual({ file, problems: [] });
      if (!(started instanceof Error)) await (started as { stop(): Promise<void> }).stop();
      else throw started;
    }
  });

  it('given such a role, then `opsbot exec` refuses to run and exits 78 with the key path', async () => {
    const dir = await tmpDir('opsbot-rbac-cli-');
    try {
      const file = path.join(dir.dir, 'bad-rbac.yaml');
      await writeFile(file, 'rbac:\n  roles:\n    admin: { allow: ["*"] }\n    viewer: { allow: [health, nosuchcmd] }\n  subjects:\n    console:operator: [admin]\n');
      const r = await runCli(['exec', '--config', file, 'help'], { OPSBOT_DATA_DIR: dir.dir });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('rbac.roles.viewer.allow[1]: "nosuchcmd" is not a command');
      expect(r.stdout).toBe('');
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
