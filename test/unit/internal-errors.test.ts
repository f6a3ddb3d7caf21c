/**
 * An unexpected exception (a bug, not a failed check) never reaches chat: the user sees the
 * reference, the log has the whole error (message and stack) under that invocation id.
 */
import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { createLogger } from '../../src/core/logger.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { healthCommands } from '../../src/handlers/health.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import { defineCommand } from '../../src/core/command.js';
import { z } from 'zod';

const config = parseConfigText(`
targets:
  web:
    health:
      - name: fresh backup
        backup-fresh: { maxAge: 26h }
    backups:
      - { name: db, kind: sqlite, source: /srv/web.db, destination: /srv/backups }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:op": [admin] }
`, 'test.yaml', {});

describe('internal errors', () => {
  it('given a probe that throws, when health runs, then chat shows only a reference and the log the full error', async () => {
    // Given a bot whose backup catalog throws an unexpected error while a probe reads it
    const logged: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (d: Buffer) => logged.push(...d.toString().split('\n').filter(Boolean)));
    const redactor = new Redactor(['s3cr3t-value']);
    const log = createLogger({ level: 'info', redactor, pretty: false, destination });
    const registry = new CommandRegistry();
    registry.register(...healthCommands({
      targets: config.targets,
      checkTimeoutMs: 1000,
      probeServices: {
        backups: {
          jobsOf: () => ['db'],
          latestVerified: async () => { throw new TypeError("Cannot read properties of undefined (reading 'startedAt') near s3cr3t-value"); },
        },
      },
    }));
    const router = new Router({
      registry, log, redactor, metrics: new Metrics(), audit: new AuditLog(await EmbeddedStore.open(null)),
      rbac: new Rbac(config.rbac), environmentOf: () => undefined, commandTimeoutMs: 5000,
    });

    // When an operator runs the health check
    const r = await router.handle({ subject: { id: 'console:op' }, surface: 'console', line: 'health web' });

    // Then chat shows the failed check with the reference only
    const chat = renderConsole(r.reply, { colour: false, maxCell: 500 });
    expect(chat).toMatch(new RegExp(`fresh backup\\s+FAIL\\s+internal error \\(ref ${r.invocationId}, see the bot's logs\\)`));
    expect(chat).not.toMatch(/Cannot read properties|TypeError|startedAt/);
    // And the log has one line with that invocation id, the message and the stack, the secret redacted
    await new Promise((resolve) => setImmediate(resolve));
    const line = logged.map((l) => JSON.parse(l) as { invocationId?: string; err?: { message?: string; stack?: string; type?: string }; check?: string })
      .find((l) => l.invocationId === r.invocationId && l.err);
    expect(line).toMatchObject({ check: 'fresh backup', err: { type: 'TypeError', message: expect.stringContaining("reading 'startedAt'") } });
    expect(line?.err?.stack).toMatch(/TypeError: Cannot read properties[\s\S]*\n\s+at /);
    expect(JSON.stringify(logged)).not.toContain('s3cr3t-value');
  });

  it('given a handler that throws, then the result carries the code internal and the log the stack', async () => {
    const logged: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (d: Buffer) => logged.push(...d.toString().split('\n').filter(Boolean)));
    const registry = new CommandRegistry();
    registry.register(defineCommand({ name: 'crash', summary: 'a bug', params: [], schema: z.object({}), risk: 'write', async run() { throw new RangeError('index 7 out of range'); } }));
    const audit = new AuditLog(await EmbeddedStore.open(null));
    const router = new Router({
      registry, audit, log: createLogger({ level: 'info', redactor: new Redactor(), pretty: false, destination }), redactor: new Redactor(), metrics: new Metrics(),
      rbac: new Rbac(config.rbac), environmentOf: () => undefined, commandTimeoutMs: 5000,
    });
    const r = await router.handle({ subject: { id: 'console:op' }, surface: 'console', line: 'crash' });
    expect(r).toMatchObject({ outcome: 'error', error: { code: 'internal', message: expect.stringContaining(r.invocationId) } });
    expect(JSON.stringify(r.reply)).not.toContain('out of range');
    expect((await audit.list({ limit: 1 }))[0]).toMatchObject({ state: 'failed', outcome: 'error', code: 'internal' });
    await new Promise((resolve) => setImmediate(resolve));
    const line = logged.map((l) => JSON.parse(l) as { invocationId?: string; level: number; err?: { type?: string; stack?: string } }).find((l) => l.invocationId === r.invocationId && l.err);
    expect(line).toMatchObject({ level: 50, err: { type: 'RangeError', stack: expect.stringMatching(/RangeError: index 7 out of range\n\s+at /) } });
  });
});
