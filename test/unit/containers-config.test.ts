import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';
import { renderLogLines, restartChecks } from '../../src/handlers/containers/index.js';
import { restartLockKey } from '../../src/ops/container-restart/index.js';
import { DockerService, type LogLine } from '../../src/ops/docker/index.js';
import { Redactor } from '../../src/core/redact.js';

const parse = (yaml: string) => parseConfigText(yaml, 'test.yaml', {});

describe('container config', () => {
  it('given a target with a compose service, then defaults fill restartTimeout, stopTimeout and logLines', () => {
    const cfg = parse(`
targets:
  backend:
    container: { service: backend, project: nordlayer, dockerHost: "tcp://127.0.0.1:2375" }
    health:
      - container: {}
      - log-count: { pattern: "error|exception", window: 24h, warnAt: 5, failAt: 20 }
`);
    const t = cfg.targets.backend;
    expect(t?.container).toEqual({ service: 'backend', project: 'nordlayer', dockerHost: 'tcp://127.0.0.1:2375', restartTimeout: 60_000, stopTimeout: 10_000, logLines: 20 });
    expect(t?.health[1]?.['log-count']).toMatchObject({ window: 86_400_000, ignoreCase: true, stream: 'both' });
  });

  it.each([
    ['both name and service', 'container: { name: web, service: web }', /targets\.t\.container\.service: Give either name or service, not both/],
    ['neither', 'container: { restartTimeout: 5s }', /targets\.t\.container\.name: Give the container name or its compose service/],
    ['project without service', 'container: { name: web, project: p }', /container\.project: project narrows a compose service/],
    ['a name that could escape the API path', 'container: { name: "../../containers/x" }', /container\.name: A Docker container name/],
    ['a name with a shell command', 'container: { name: "web; rm -rf /" }', /container\.name: A Docker container name/],
    ['an unsupported host', 'container: { name: web, dockerHost: "ssh://me@host" }', /container\.dockerHost: Use unix:/],
    ['a container check on a target without container', 'health: [{ container: {} }]', /targets\.t\.health\[0\]\.container: Give name or service, or add a container section/],
    ['a bad regular expression', 'health: [{ log-count: { name: web, pattern: "(", failAt: 1 } }]', /log-count\.pattern: Not a valid regular expression/],
    ['warnAt above failAt', 'health: [{ log-count: { name: web, pattern: "x", failAt: 1, warnAt: 5 } }]', /warnAt must not be above failAt/],
  ])('given %s, then the config is refused with the key path', (_what, body, message) => {
    expect(() => parse(`targets:\n  t:\n    ${body}\n`)).toThrow(message);
  });

  it('given waitFor, then a restart waits for exactly those checks; without it, for all but log-count', () => {
    const cfg = parse(`
targets:
  a:
    container: { name: a }
    health:
      - { name: api, http: { url: "http://127.0.0.1:1/health" } }
      - { name: errors, log-count: { pattern: error, failAt: 10 } }
      - { name: port, tcp: { host: 127.0.0.1, port: 1 } }
  b:
    container: { name: b, waitFor: [port] }
    health:
      - { name: api, http: { url: "http://127.0.0.1:1/health" } }
      - { name: port, tcp: { host: 127.0.0.1, port: 1 } }
  c:
    container: { name: c, waitFor: [nope] }
`);
    expect(restartChecks(cfg.targets.a as never).map((c) => c.name)).toEqual(['api', 'port']);
    expect(restartChecks(cfg.targets.b as never).map((c) => c.name)).toEqual(['port']);
    expect(() => restartChecks(cfg.targets.c as never)).toThrow(/waitFor names checks that do not exist: nope/);
  });

  it('given two targets naming the same container, then they share one restart lock', () => {
    const docker = new DockerService({ defaultHost: 'unix:///var/run/docker.sock' });
    expect(restartLockKey(docker, { name: 'web' })).toBe(restartLockKey(docker, { name: '/web' }));
    expect(restartLockKey(docker, { name: 'web' })).not.toBe(restartLockKey(docker, { name: 'web', dockerHost: 'tcp://other:2375' }));
    expect(restartLockKey(docker, { service: 'w', project: 'p' })).toBe('restart:unix:///var/run/docker.sock:p/w');
  });
});

describe('log rendering', () => {
  const line = (text: string, i: number, stream: LogLine['stream'] = 'stdout'): LogLine => ({ container: 'web', stream, time: Date.parse('2026-11-24T09:00:00Z') + i * 1000, text });

  it('given more lines than fit, then the newest are kept and the rest counted', () => {
    const lines = Array.from({ length: 500 }, (_, i) => line(`request ${i} served`, i));
    const r = renderLogLines(lines, new Redactor(), { multi: false, budget: 1_000 });
    expect(r.text.length).toBeLessThanOrEqual(1_000);
    expect(r.shown + r.omitted).toBe(500);
    expect(r.text.endsWith('request 499 served')).toBe(true);
    expect(r.text.startsWith('09:')).toBe(true);
  });

  it('given secrets, control characters and a very long line, then they are redacted, stripped and cut', () => {
    const r = renderLogLines([
      line('connecting to postgres://app:s3cretpw@db:5432/app', 0, 'stderr'),
      line('Traceback: DB_PASSWORD=supersecret2 app.secret: abc123def', 1, 'stderr'),
      line('\u001b[31mred\u001b[0m text\u0007', 1),
      line('x'.repeat(1_000), 2),
    ], new Redactor(['my-known-token-value']), { multi: true });
    expect(r.text).toContain('09:00:00 web err | connecting to postgres://app:[redacted]@db:5432/app');
    expect(r.text).toContain('web out | [31mred[0m text');
    expect(r.text).toContain('… (+700 chars)');
    expect(r.text).not.toContain('s3cretpw');
    expect(r.text).toContain('DB_PASSWORD=[redacted] app.secret: [redacted]');
  });
});
