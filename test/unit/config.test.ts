import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfigFile, parseConfigText, parseEnv } from '../../src/config/load.js';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(yaml, 'test.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('config loader', () => {
  it('given the shipped default config, then it loads with the self target and an admin console user', async () => {
    const cfg = await loadConfigFile('config/default.yaml', {});
    expect(Object.keys(cfg.targets)).toEqual(['self']);
    expect(cfg.targets.self?.health.length).toBeGreaterThanOrEqual(4);
    expect(cfg.rbac.subjects['console:operator']).toEqual(['admin']);
  });

  it('given ${VAR} and ${VAR:-default}, then values come from the environment', () => {
    const cfg = parseConfigText(`
targets:
  web:
    environment: \${ENVIRONMENT:-staging}
    health:
      - tcp: { host: \${HOST_X}, port: "\${PORT_X:-8080}" }
`, 't', { HOST_X: 'db.internal' });
    expect(cfg.targets.web?.environment).toBe('staging');
    expect(cfg.targets.web?.health[0]?.tcp).toEqual({ host: 'db.internal', port: 8080 });
  });

  it('given a missing variable without default, then the problem names key and variable', () => {
    expect(problems('targets:\n  web:\n    health:\n      - tcp: { host: ${NOPE}, port: 1 }\n')).toContain(
      'targets.web.health[0].tcp.host: environment variable NOPE is not set',
    );
  });

  it('given many mistakes, then every problem is listed with its key path', () => {
    const list = problems(`
bot: { commandTimeout: soon }
targets:
  web:
    health:
      - http: { url: "not a url" }
      - tcp: { host: x, port: 70000 }
      - {}
      - { disk: { path: / }, memory: {} }
  "bad name!": {}
rbac:
  subjects:
    slack:U1: [ghost]
`);
    expect(list).toEqual(expect.arrayContaining([
      'bot.commandTimeout: Invalid duration "soon" (use e.g. 30s, 5m, 1h, 7d)',
      'targets.web.health[0].http.url: Invalid URL',
      expect.stringMatching(/^targets\.web\.health\[1\]\.tcp\.port: /),
      expect.stringMatching(/^targets\.web\.health\[2\]: A health check needs one probe/),
      'targets.web.health[3]: A health check has one probe, found disk and memory',
      expect.stringMatching(/^rbac\.subjects\["slack:U1"\]\[0\]: Unknown role "ghost"/),
    ]));
    expect(list.some((p) => p.startsWith('targets["bad name!"]'))).toBe(true);
  });

  it('given a secret written literally, then it is refused; from the environment it is accepted', () => {
    expect(problems('targets:\n  web:\n    health:\n      - http: { url: "http://x", headers: { token: abc } }\n')).toContain(
      'targets.web.health[0].http.headers.token: secrets must come from the environment: write ${SOME_VARIABLE}, not the value',
    );
    expect(problems('targets:\n  web:\n    health:\n      - http: { url: "http://x", headers: { token: "${T}" } }\n', { T: 's3cret' })).toEqual([]);
  });

  it('given broken YAML or a missing file, then a ConfigError explains it', async () => {
    expect(problems('targets: [unclosed')[0]).toMatch(/^YAML: /);
    await expect(loadConfigFile('/nonexistent/opsbot.yaml', {})).rejects.toThrow(/file not found/);
  });

  it('validates the environment variables of the contract', () => {
    expect(parseEnv({ PORT: '8080' }).PORT).toBe(8080);
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseEnv({ SLACK_API_URL: 'nope' })).toThrow(/SLACK_API_URL/);
  });

  it('the example configs all validate', async () => {
    const { readdir } = await import('node:fs/promises');
    let checked = 0;
    for (const f of await readdir('config/examples')) {
      if (!f.endsWith('.yaml')) continue;
      const text = await readFile(`config/examples/${f}`, 'utf8');
      const sample = (name: string) => (/MONGO/.test(name) ? 'mongodb://db.example:27017/app' : /REDIS/.test(name) ? 'redis://cache.example:6379'
        : /DATABASE_URL/.test(name) ? 'postgres://app@db.example:5432/app' : /URL$/.test(name) ? 'http://example.invalid' : 'x');
      const env = Object.fromEntries([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => [m[1], sample(m[1] as string)]));
      let problems: string[] = [];
      try { parseConfigText(text, f, { ...env }); } catch (e) { problems = (e as { problems?: string[] }).problems ?? [String(e)]; }
      expect({ file: f, problems }).toEqual({ file: f, problems: [] });
      checked++;
    }
    expect(checked).toBe(5);
  });
});
