/**
 * Service managers' argv building and output parsing, and POSIX quoting for remote commands.
 * The systemd fixtures are hand-written in the exact formats systemd 252 (Debian 12) prints —
 * `systemctl show --property=…` KEY=value lines and `journalctl -o json` export objects with
 * their documented field names — because this machine's PID 1 is not systemd, so neither can be
 * captured here. The supervisor and pm2 ones are taken from the real programs (supervisor 4.2.5,
 * pm2 7) in the integration tests' set-up.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { commandLine, shellQuote } from '../../src/ops/hosts/index.js';
import { parsePinnedKey, hostKeyRefusal } from '../../src/ops/hosts/host-key.js';
import {
  journalctlArgv, parseJlist, parseJournal, parseShow, parseStatusLine, parseSystemdTime, parseUptime, pm2Argv, stateOfApp, stateOfShow, supervisorctlArgv, systemctlArgv,
} from '../../src/ops/services/index.js';

const unit = { unit: 'stormforge-backend.service', userUnit: false, sudo: false };

// systemd 252 format: `systemctl show --property=Id,LoadState,ActiveState,SubState,Result,MainPID,ExecMainStartTimestamp,ExecMainStatus,NRestarts -- stormforge-backend.service`
const SHOW_RUNNING = `Id=stormforge-backend.service
LoadState=loaded
ActiveState=active
SubState=running
Result=success
MainPID=4242
ExecMainStartTimestamp=Tue 2024-05-14 10:00:00 UTC
ExecMainStatus=0
NRestarts=2
`;
const SHOW_FAILED = `Id=ferritedb.service
LoadState=loaded
ActiveState=failed
SubState=failed
Result=exit-code
MainPID=0
ExecMainStartTimestamp=Tue 2024-05-14 10:05:00 UTC
ExecMainStatus=1
NRestarts=5
`;
const SHOW_MISSING = `Id=nope.service
LoadState=not-found
ActiveState=inactive
SubState=dead
Result=success
MainPID=0
ExecMainStartTimestamp=
ExecMainStatus=0
NRestarts=0
`;
// systemd 252 format: `journalctl -u ferritedb -o json` (one export object per line; MESSAGE as a byte array when not UTF-8).
const JOURNAL = [
  JSON.stringify({ __REALTIME_TIMESTAMP: '1715680800123456', PRIORITY: '6', _SYSTEMD_UNIT: 'ferritedb.service', MESSAGE: 'ferritedb listening on :7700', _PID: '4242' }),
  JSON.stringify({ __REALTIME_TIMESTAMP: '1715680801000000', PRIORITY: '3', _SYSTEMD_UNIT: 'ferritedb.service', MESSAGE: 'ERROR cannot open /var/lib/ferritedb/data: permission denied' }),
  JSON.stringify({ __REALTIME_TIMESTAMP: '1715680802000000', PRIORITY: '6', _SYSTEMD_UNIT: 'ferritedb.service', MESSAGE: [104, 105, 255] }),
  '-- No entries --',
].join('\n');

describe('systemd', () => {
  it('given a unit, when argv is built, then the unit is one argument after --, with --user and sudo only when configured', () => {
    expect(systemctlArgv(unit, 'show')).toEqual(['systemctl', '--no-pager', 'show', '--property=Id,LoadState,ActiveState,SubState,Result,MainPID,ExecMainStartTimestamp,ExecMainStatus,NRestarts', '--', 'stormforge-backend.service']);
    expect(systemctlArgv({ ...unit, sudo: true, userUnit: true }, 'restart')).toEqual(['sudo', '-n', 'systemctl', '--user', '--no-pager', 'restart', '--', 'stormforge-backend.service']);
    expect(journalctlArgv(unit, { tail: 50, since: new Date(1715680800_000) })).toEqual(['journalctl', '-u', 'stormforge-backend.service', '--no-pager', '-o', 'json', '-n', '50', '--since', '@1715680800']);
  });

  it('given `systemctl show` of a running unit, when parsed, then state, PID, start time and restart count are read', () => {
    const s = stateOfShow('stormforge-backend', parseShow(SHOW_RUNNING));
    expect(s).toEqual({ name: 'stormforge-backend.service', state: 'active (running)', running: true, failed: false, pid: 4242, startedAt: new Date('2024-05-14T10:00:00Z'), restartCount: 2 });
  });

  it('given a failed unit, when parsed, then it is failed with its result and exit status', () => {
    const s = stateOfShow('ferritedb', parseShow(SHOW_FAILED));
    expect(s.failed).toBe(true);
    expect(s.running).toBe(false);
    expect(s.detail).toBe('result exit-code, exit status 1');
    expect(s.pid).toBeUndefined();
  });

  it('given an unknown unit, when parsed, then it is a not_found error naming it', () => {
    expect(() => stateOfShow('nope', parseShow(SHOW_MISSING))).toThrow('systemd has no unit nope');
  });

  it('given systemd timestamps, when parsed, then unix, UTC and offset forms are read and n/a is none', () => {
    expect(parseSystemdTime('@1715680800')).toEqual(new Date('2024-05-14T10:00:00Z'));
    expect(parseSystemdTime('Tue 2024-05-14 12:00:00 +02:00')).toEqual(new Date('2024-05-14T10:00:00Z'));
    expect(parseSystemdTime('n/a')).toBeUndefined();
    expect(parseSystemdTime('')).toBeUndefined();
  });

  it('given `journalctl -o json` output, when parsed, then time, priority as stream and byte-array messages are read', () => {
    const lines = parseJournal(JOURNAL, 'ferritedb');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ container: 'ferritedb.service', stream: 'stdout', time: 1715680800123, text: 'ferritedb listening on :7700' });
    expect(lines[1]?.stream).toBe('stderr');
    expect(lines[2]?.text).toBe('hi\ufffd');
  });
});

describe('supervisor', () => {
  it('given status lines, when parsed, then RUNNING has PID and start time, FATAL is failed', () => {
    const now = Date.parse('2024-05-14T10:00:00Z');
    expect(parseStatusLine('web                              RUNNING   pid 1234, uptime 1 day, 0:01:02', now)).toEqual({
      name: 'web', state: 'RUNNING', running: true, failed: false, pid: 1234, startedAt: new Date(now - (86_400 + 62) * 1000),
    });
    expect(parseStatusLine('broken                           FATAL     Exited too quickly (process log may have details)', now)).toMatchObject({ state: 'FATAL', failed: true, detail: 'Exited too quickly (process log may have details)' });
    expect(parseStatusLine('web: ERROR (no such process)', now)).toBeUndefined();
    expect(parseUptime('0:00:05')).toBe(5000);
    expect(parseUptime('soon')).toBeUndefined();
  });

  it('given a config file, when argv is built, then it goes through -c and no credentials appear', () => {
    expect(supervisorctlArgv({ supervisorctl: 'supervisorctl', configFile: '/etc/supervisor/opsbot.conf' }, 'restart', 'web')).toEqual(['supervisorctl', '-c', '/etc/supervisor/opsbot.conf', 'restart', 'web']);
  });
});

describe('pm2', () => {
  it('given jlist output after daemon start-up lines, when parsed, then each instance is read', () => {
    const out = `[PM2] Spawning PM2 daemon with pm2_home=/tmp/x\n[PM2] PM2 Successfully daemonized\n${JSON.stringify([
      { name: 'linguamate', pm_id: 0, pid: 900, pm2_env: { status: 'online', pm_uptime: 1715680800000, restart_time: 3, pm_out_log_path: '/tmp/x/logs/out.log', pm_err_log_path: '/tmp/x/logs/err.log' } },
      { name: 'linguamate', pm_id: 1, pid: 0, pm2_env: { status: 'errored', restart_time: 15, exit_code: 1 } },
    ])}`;
    const apps = parseJlist(out);
    expect(apps.map(stateOfApp)).toEqual([
      { name: 'linguamate#0', state: 'online', running: true, failed: false, pid: 900, startedAt: new Date(1715680800000), restartCount: 3 },
      { name: 'linguamate#1', state: 'errored', running: false, failed: true, restartCount: 15, detail: 'exit code 1' },
    ]);
  });

  it('given PM2_HOME, when argv is built, then it is passed through env (the same argv works over SSH)', () => {
    expect(pm2Argv({ name: 'x', pm2: 'pm2', pm2Home: '/srv/pm2' }, 'jlist')).toEqual(['env', 'PM2_HOME=/srv/pm2', 'pm2', 'jlist']);
  });
});

describe('POSIX quoting for remote commands', () => {
  it('given hostile arguments, when quoted and run by a real sh, then each comes back as one literal word', () => {
    const hostile = ["'; rm -rf / #", '$(id)', '`id`', '"$HOME"', 'a b', '*', 'x\ny', "''", '\\\'', '-e', ''];
    const out = execFileSync('/bin/sh', ['-c', commandLine(['printf', '[%s]\\n', ...hostile])], { encoding: 'utf8' });
    expect(out).toBe(hostile.map((h) => `[${h}]\n`).join(''));
  });

  it('given any string without NUL, when quoted, then sh reads it back unchanged', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (s) => {
      const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
      expect(out).toBe(s);
    }), { numRuns: 60 });
  });

  it('given a NUL byte, when quoted, then it is refused', () => {
    expect(() => shellQuote('a\0b')).toThrow('NUL');
  });
});

describe('pinned host keys', () => {
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl opsbot-test';
  it('given a key line or a fingerprint, when parsed, then both pin the same fingerprint; anything else is rejected', () => {
    const k = parsePinnedKey(line);
    expect(k?.type).toBe('ssh-ed25519');
    expect(parsePinnedKey(k?.fingerprint as string)).toEqual({ fingerprint: k?.fingerprint });
    expect(parsePinnedKey('ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ')).toBeUndefined();
    expect(parsePinnedKey('md5:aa:bb')).toBeUndefined();
  });

  it('given the offered key, when it matches, then there is no refusal; otherwise the message names host and keys', () => {
    const blob = Buffer.from(line.split(' ')[1] as string, 'base64');
    expect(hostKeyRefusal('db1', '10.0.0.5:22', parsePinnedKey(line), blob)).toBeUndefined();
    expect(hostKeyRefusal('db1', '10.0.0.5:22', { fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, blob)).toMatch(/^SSH host key of db1 \(10\.0\.0\.5:22\) does not match the pinned key/);
    expect(hostKeyRefusal('db1', '10.0.0.5:22', undefined, blob)).toMatch(/has no pinned host key.*hosts\.db1\.hostKey/);
  });
});
