import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { AuditLog, auditJsonl, DEADLINE_GRACE_MS, type AuditOwner } from '../../src/core/audit.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { Redactor } from '../../src/core/redact.js';

const started = (invocationId: string) => ({ invocationId, subject: 'console:op', surface: 'cli', command: 'restart', args: { target: 'web' }, line: `restart web` });

/** A real process whose pid we can hand out as an owner, and end. */
function child() {
  const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const exited = new Promise((r) => p.once('exit', r));
  return { pid: p.pid as number, kill: async () => { p.kill('SIGKILL'); await exited; } };
}

describe('audit trail', () => {
  it('given entries left started, then a new process marks only those whose process is gone', async () => {
    // Given one store, an entry started by a process that was killed, and one by a process still running (an `opsbot exec`)
    const store = await EmbeddedStore.open(null);
    const dead = child();
    const alive = child();
    const owner = (pid: number): AuditOwner => ({ host: hostname(), pid, instance: `i-${pid}` });
    await new AuditLog(store, { owner: owner(dead.pid) }).begin(started('dead1'), 60_000);
    await new AuditLog(store, { owner: owner(alive.pid) }).begin(started('alive1'), 60_000);
    // And one from another host, which this host cannot judge
    await new AuditLog(store, { owner: { host: 'elsewhere', pid: 1, instance: 'x' } }).begin(started('remote1'), 60_000);
    await dead.kill();
    try {
      // When the bot starts again (a new AuditLog in this process reads the trail)
      const entries = await new AuditLog(store).list({ limit: 10 });
      const state = Object.fromEntries(entries.map((e) => [e.invocationId, e.state]));
      // Then only the dead owner's entry reads interrupted
      expect(state).toEqual({ dead1: 'interrupted', alive1: 'started', remote1: 'started' });
      expect(entries.find((e) => e.invocationId === 'dead1')?.message).toContain(`pid ${dead.pid}`);
    } finally {
      await alive.kill();
    }
  });

  it('given a process that reuses the pid of the one that crashed (pid 1 in a container), then its entries are still interrupted', async () => {
    const store = await EmbeddedStore.open(null);
    await new AuditLog(store, { owner: { host: hostname(), pid: process.pid, instance: 'before-restart' } }).begin(started('a1'), 60_000);
    expect((await new AuditLog(store).list({ limit: 1 }))[0]?.state).toBe('interrupted');
  });

  it('given an entry started on another host, then it reads interrupted once past its deadline (timeout + grace)', async () => {
    const store = await EmbeddedStore.open(null);
    const clock = new ManualClock();
    const log = new AuditLog(store, { clock, owner: { host: 'elsewhere', pid: 7, instance: 'x' } });
    await log.begin(started('r1'), 10_000);
    clock.advance(10_000 + DEADLINE_GRACE_MS - 1);
    expect((await log.list({ limit: 1 }))[0]?.state).toBe('started');
    clock.advance(2);
    expect((await log.list({ limit: 1 }))[0]).toMatchObject({ state: 'interrupted', message: expect.stringContaining('deadline') });
  });

  it('completes a started entry by compare-and-set and never overwrites a completed one', async () => {
    const store = await EmbeddedStore.open(null);
    const log = new AuditLog(store);
    await log.begin(started('c1'), 10_000);
    expect(await log.complete('c1', { outcome: 'failed', code: 'timeout', message: 'timed out', durationMs: 5 })).toBe(true);
    expect(await log.complete('c1', { outcome: 'ok', durationMs: 9 })).toBe(false);
    expect((await log.list({ limit: 1 }))[0]).toMatchObject({ state: 'failed', outcome: 'failed', code: 'timeout', durationMs: 5, version: 2 });
  });

  it('records system events and exports the trail as JSON lines, oldest first', async () => {
    const store = await EmbeddedStore.open(null);
    const clock = new ManualClock();
    const log = new AuditLog(store, { clock, redactor: new Redactor(['hunter2-secret']) });
    await log.systemEvent({ action: 'alert.opened', detail: { group: 'a1b2', alertname: 'DiskFull', summary: 'db password hunter2-secret leaked' } });
    clock.advance(1000);
    await log.record({ invocationId: 'x1', subject: 'console:op', surface: 'console', command: 'ack', args: {}, line: 'ack a1b2', decision: 'allowed', outcome: 'ok', durationMs: 3 });
    const lines = auditJsonl(await log.list({ limit: 10 })).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.command)).toEqual(['alert.opened', 'ack']);
    expect(lines[0]).toMatchObject({ surface: 'system', subject: 'system', decision: 'system', state: 'ok', detail: { group: 'a1b2' } });
    expect(lines[1]).not.toHaveProperty('_id');
    expect(JSON.stringify(lines)).not.toContain('hunter2-secret');
  });
});
