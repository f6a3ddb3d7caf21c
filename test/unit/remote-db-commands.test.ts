/**
 * The commands remote database backups and Docker over SSH send to an SSH host: environment
 * values on stdin (never in the command line, run here through `sh -c` with the same quoting the
 * SSH server's shell sees), mongo-tools argv, the dial-stdio command, and their config errors.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { commandLine } from '../../src/ops/hosts/index.js';
import { withEnvOnStdin } from '../../src/ops/backup/remote/env-stdin.js';
import { mongodumpArgs, mongorestoreArgs, toolConfigText } from '../../src/ops/backup/remote/mongodb.js';
import { dialStdioCommand } from '../../src/ops/docker/ssh-agent.js';
import { parseConfigText } from '../../src/config/load.js';
import type { MongodbBackupJob } from '../../src/config/backup-schema.js';

/** Runs the command line as a remote login shell would (`sh -c <line>`), stdin from `stdin`. */
function viaShell(line: string, stdin: Readable): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    stdin.pipe(child.stdin);
  });
}

const HOSTILE = `s3cret 'pw' "$(touch /tmp/opsbot-pwned)" \`id\` ; rm -rf / $HOME \\ end`;

describe('withEnvOnStdin', () => {
  it('given a password full of shell syntax, when the command runs, then the tool sees it exactly and the command line holds only the names', async () => {
    const cmd = withEnvOnStdin({ PGPASSWORD: HOSTILE, PGCONNECT_TIMEOUT: '10' }, ['sh', '-c', 'printf "%s|%s|%s" "$PGPASSWORD" "$PGCONNECT_TIMEOUT" "$1"', 'sh', 'arg one']);
    const line = commandLine(cmd.argv);
    expect(line).not.toContain('s3cret');
    expect(line).toContain("'PGPASSWORD'");
    const r = await viaShell(line, cmd.stdin);
    expect(r.err).toBe('');
    expect(r.out).toBe(`${HOSTILE}|10|arg one`);
  });

  it('given stdin after the values, when the command reads stdin, then it gets exactly that rest', async () => {
    const cmd = withEnvOnStdin({ A_SECRET: 'x' }, ['sh', '-c', 'printf "%s:" "$A_SECRET"; cat'], Readable.from([Buffer.from('line 1\nline 2\n'), Buffer.from('tail')]));
    const r = await viaShell(commandLine(cmd.argv), cmd.stdin);
    expect(r.out).toBe('x:line 1\nline 2\ntail');
  });

  it('given a value with a line break or a bad name, then it is refused before anything runs', () => {
    expect(() => withEnvOnStdin({ PGPASSWORD: 'a\nb' }, ['true'])).toThrow(/PGPASSWORD contains a line break/);
    expect(() => withEnvOnStdin({ 'X;Y': 'a' }, ['true'])).toThrow(/Not an environment variable name/);
  });
});

describe('mongo-tools on a host', () => {
  const job = (extra: Partial<MongodbBackupJob> = {}): MongodbBackupJob => ({
    kind: 'mongodb', name: 'mongodb', host: 'db1', tool: 'mongodump', mongodump: 'mongodump', mongorestore: 'mongorestore',
    source: 'mongodb://backup:pw@127.0.0.1:27017/app', destination: '/b', retention: {}, compression: 'gzip', compressionLevel: 6,
    timeout: 60_000, stopService: false, serverSelectionTimeout: 10_000, ...extra,
  } as MongodbBackupJob);

  it('given a job, then mongodump writes the archive to stdout and the URL is only in the config file', () => {
    const argv = mongodumpArgs(job({ collections: ['users', 'orders'] }), '/tmp/opsbot-backup.abc/mongo-tools.yaml', 'app');
    expect(argv).toEqual(['mongodump', '--config=/tmp/opsbot-backup.abc/mongo-tools.yaml', '--archive', '--db=app', '--nsInclude=app.users', '--nsInclude=app.orders']);
    expect(argv.join(' ')).not.toContain('pw');
    expect(toolConfigText('mongodb://backup:p"w@h/app')).toBe('uri: "mongodb://backup:p\\"w@h/app"\n');
  });

  it('given a restore database, then mongorestore reads stdin and renames the namespaces', () => {
    expect(mongorestoreArgs(job({ restoreDatabase: 'app-test' }), '/c.yaml')).toEqual([
      'mongorestore', '--config=/c.yaml', '--archive', '--drop', '--nsInclude=app.*', '--nsFrom=app.*', '--nsTo=app-test.*',
    ]);
  });
});

describe('Docker over SSH', () => {
  it('given no remote dockerHost, then the remote docker CLI dials its default daemon; with one, that daemon', () => {
    expect(dialStdioCommand(undefined)).toEqual(['docker', 'system', 'dial-stdio']);
    expect(commandLine(dialStdioCommand('unix:///run/user/1000/docker.sock'))).toBe("'docker' '--host' 'unix:///run/user/1000/docker.sock' 'system' 'dial-stdio'");
  });

  const parse = (yaml: string) => parseConfigText(yaml, 't.yaml', {});
  const HOSTS = `hosts:\n  web-1: { address: 10.0.0.5, user: ops, privateKeyFile: /k, hostKey: "SHA256:${'A'.repeat(43)}" }\n`;

  it('given container.host and checks with host, then the config loads with them', () => {
    const c = parse(`${HOSTS}targets:\n  web:\n    container: { name: web, host: web-1 }\n    health:\n      - container: { name: other, host: web-1, dockerHost: "unix:///run/docker.sock" }\n`);
    expect(c.targets.web!.container).toMatchObject({ name: 'web', host: 'web-1' });
  });

  it('given an unknown host on a container check or a hostile dockerHost, then the error names the key path', () => {
    expect(() => parse(`${HOSTS}targets:\n  web:\n    health:\n      - container: { name: web, host: nope }\n`)).toThrow(/targets\.web\.health\[0\]\.container\.host.*Unknown host "nope"/s);
    expect(() => parse(`${HOSTS}targets:\n  web:\n    container: { name: web, host: web-1, dockerHost: "unix:///x; rm -rf /" }\n`)).toThrow(/targets\.web\.container\.dockerHost/);
  });

  it('given dockerHost: ssh://…, then the error points to host: instead', () => {
    expect(() => parse(`${HOSTS}targets:\n  web:\n    container: { name: web, dockerHost: "ssh://ops@10.0.0.5" }\n`)).toThrow(/targets\.web\.container\.dockerHost.*for Docker over SSH: host: <a name of hosts:>/s);
  });
});
