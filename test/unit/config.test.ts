import { describe, expect, it } from '@jest/globals';
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

  it('given a missing variable without default, then it is reported once, with every key that needs it and the list of variables', () => {
    const list = problems(`
targets:
  web:
    health:
      - tcp: { host: \${NOPE}, port: 1 }
      - postgres: { url: "\${NOPE}" }
      - http: { url: "\${ALSO_NOPE}" }
      - tcp: { host: x, port: "\${SET_ONE}" }
`, { SET_ONE: '5', ALSO_NOPE: '' });
    expect(list).toEqual([
      'unset: NOPE (needed by targets.web.health[0].tcp.host, targets.web.health[1].postgres.url)',
      'unset: ALSO_NOPE (needed by targets.web.health[2].http.url)',
      'this file reads the environment variables NOPE, ALSO_NOPE, SET_ONE; set NOPE, ALSO_NOPE (or give a default: ${NAME:-value})',
    ]);
  });

  it('given a variable used by a key the schema normalises (one backup job for a list), then no follow-up error repeats it', () => {
    const list = problems('targets:\n  db:\n    backups: { name: db, kind: postgres, source: "${DB_URL}", destination: /tmp/b }\n');
    expect(list).toEqual([
      'unset: DB_URL (needed by targets.db.backups.source)',
      expect.stringMatching(/^this file reads the environment variables DB_URL; set DB_URL/),
    ]);
  });

  it('given an empty environment variable, then it counts as unset (docker-compose passes `${NAME:-}` as "")', () => {
    expect(parseEnv({ ALERTMANAGER_URL: '', PORT: '' }).ALERTMANAGER_URL).toBeUndefined();
    expect(parseEnv({ PORT: '' }).PORT).toBe(3000);
    expect(() => parseEnv({ ALERTMANAGER_URL: 'not a url' })).toThrow(/ALERTMANAGER_URL/);
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

  it('given a secret written literally as the default of a reference, then it is refused too; an empty default is not a secret', () => {
    expect(problems('targets:\n  web:\n    health:\n      - http: { url: "http://x", headers: { token: "${T:-s3cret}", authorization: "Bearer ${A:-abc}" } }\n', { T: 'x', A: 'y' })).toEqual([
      'targets.web.health[0].http.headers.token: secrets must come from the environment: write ${SOME_VARIABLE}, not the value',
      'targets.web.health[0].http.headers.authorization: secrets must come from the environment: write ${SOME_VARIABLE}, not the value',
    ]);
    expect(problems('targets:\n  web:\n    health:\n      - http: { url: "http://x", headers: { token: "${T:-}" } }\n', { T: 'x' })).toEqual([]);
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

  it('given no environment at all, then every example config validates (their URLs have defaults)', async () => {
    const { readdir } = await import('node:fs/promises');
    let checked = 0;
    for (const f of await readdir('config/examples')) {
      if (!f.endsWith('.yaml')) continue;
      let problems: string[] = [];
      try { await loadConfigFile(`config/examples/${f}`, {}); } catch (e) { problems = (e as { problems?: string[] }).problems ?? [String(e)]; }
      expect({ file: f, problems }).toEqual({ file: f, problems: [] });
      checked++;
    }
    expect(checked).toBe(5);
  });
});
