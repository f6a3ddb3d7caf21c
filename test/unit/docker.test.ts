import { describe, expect, it } from '@jest/globals';
import { DockerService, LineSplitter, connectionOptions, dockerError, splitTimestamp, toContainerInfo, describeSelector } from '../../src/ops/docker/index.js';
import { containerVerdict } from '../../src/ops/probes/container.js';
import { UserError } from '../../src/core/errors.js';
import type Docker from 'dockerode';

describe('docker connection options', () => {
  it('given a unix DOCKER_HOST, then only the socket path is used and env-derived TLS/host defaults are overridden', () => {
    const o = connectionOptions('unix:///run/user/1000/docker.sock') as Record<string, unknown>;
    expect(o.socketPath).toBe('/run/user/1000/docker.sock');
    // docker-modem merges its own DOCKER_HOST/DOCKER_CERT_PATH defaults unless these keys are present.
    for (const k of ['host', 'port', 'ca', 'cert', 'key']) {
      expect(k in o).toBe(true);
      expect(o[k]).toBeUndefined();
    }
  });

  it('given tcp:// or http:// hosts, then host and port are split; anything else is refused with a clear message', () => {
    expect(connectionOptions('tcp://10.1.2.3:2375')).toMatchObject({ host: '10.1.2.3', port: 2375, protocol: 'http' });
    expect(connectionOptions('http://docker.internal:2375')).toMatchObject({ host: 'docker.internal', port: 2375 });
    expect(() => connectionOptions('ssh://user@host')).toThrow(/Unsupported Docker host "ssh:\/\/user@host"/);
    expect(() => connectionOptions('unix://relative.sock')).toThrow(/absolute path/);
    expect(() => connectionOptions('tcp://host:2375; rm -rf /')).toThrow(UserError);
  });

  it('given an unusable DOCKER_HOST, then the service refuses to be built (a start-up error naming the variable)', () => {
    expect(() => new DockerService({ defaultHost: 'ssh://me@host' })).toThrow('DOCKER_HOST: Unsupported Docker host "ssh://me@host"');
    expect(new DockerService({}).defaultHost).toBe('unix:///var/run/docker.sock');
  });
});

describe('docker errors', () => {
  const host = 'unix:///var/run/docker.sock';
  const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  it.each([
    ['ENOENT', 'unavailable', /there is no socket there \(is dockerd running\?\)/],
    ['ECONNREFUSED', 'unavailable', /connection refused/],
    ['EACCES', 'denied', /Permission denied on the Docker socket/],
    ['ECONNRESET', 'unavailable', /closed the connection during listing/],
  ])('given a %s from the socket, then it becomes a %s UserError', (code, want, text) => {
    const e = dockerError(errno(code), host, 'listing');
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe(want);
    expect(e.message).toMatch(text);
  });

  it('given API errors as docker-modem reports them, then 404, 403, 409 and 500 each get their own code and Docker\'s message', () => {
    const api = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode, json: { message } });
    expect(dockerError(api(404, 'No such container: web'), host, 'inspecting web')).toMatchObject({ code: 'not_found', message: `No such container on ${host}: No such container: web` });
    expect(dockerError(api(403, 'authorization denied by plugin'), host, 'restarting web')).toMatchObject({ code: 'denied' });
    expect(dockerError(api(409, 'container is paused'), host, 'restarting web').message).toContain('container is paused');
    expect(dockerError(api(500, 'driver failed'), host, 'restarting web')).toMatchObject({ code: 'failed', message: expect.stringContaining('(HTTP 500): driver failed') });
  });

  it('given an abort, then it is a timeout; a UserError passes through unchanged', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(dockerError(abort, host, 'listing').code).toBe('timeout');
    const mine = new UserError('invalid', 'x');
    expect(dockerError(mine, host, 'y')).toBe(mine);
  });
});

describe('log lines', () => {
  it('given payload chunks that split lines and UTF-8 characters, then whole lines come out', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('first line\r\nsecond é line\nthird');
    const cut = bytes.indexOf(0xc3) + 1; // in the middle of "é"
    s.write(bytes.subarray(0, 5));
    s.write(bytes.subarray(5, cut));
    s.write(bytes.subarray(cut));
    expect(lines).toEqual(['first line', 'second é line']);
    s.flushRest();
    expect(lines).toEqual(['first line', 'second é line', 'third']);
  });

  it("given Docker's RFC 3339 timestamps with nanoseconds, then the time is parsed and the text kept", () => {
    const [t, text] = splitTimestamp('2026-11-24T09:24:03.861953199Z GET /health 200');
    expect(t).toBe(Date.parse('2026-11-24T09:24:03.861Z'));
    expect(text).toBe('GET /health 200');
    const [none, raw] = splitTimestamp('no timestamp here');
    expect(Number.isNaN(none)).toBe(true);
    expect(raw).toBe('no timestamp here');
  });
});

describe('container info', () => {
  const inspect = (state: Partial<Docker.ContainerInspectInfo['State']>, extra: Partial<Docker.ContainerInspectInfo> = {}) => ({
    Id: 'abc123', Name: '/web', Image: 'sha256:1', RestartCount: 2,
    Config: { Image: 'nginx:1.27', Tty: false, Labels: { 'com.docker.compose.service': 'web' } },
    HostConfig: { RestartPolicy: { Name: 'always' } },
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1, ExitCode: 0, Error: '', StartedAt: '2026-11-24T09:00:00.123456789Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
    ...extra,
  }) as unknown as Docker.ContainerInspectInfo;

  it('given inspect JSON, then name, image, service, restart count and times are read; the zero time is no time', () => {
    const c = toContainerInfo(inspect({}));
    expect(c).toMatchObject({ name: 'web', image: 'nginx:1.27', service: 'web', state: 'running', running: true, restartCount: 2, restartPolicy: 'always' });
    expect(c.startedAt?.toISOString()).toBe('2026-11-24T09:00:00.123Z');
    expect(c.finishedAt).toBeUndefined();
  });

  it('given each state, then the container probe verdict is ok, warn or fail with the reason', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(containerVerdict(toContainerInfo(inspect({})), true, now)).toEqual({ status: 'ok', text: 'web running 1h' });
    const unhealthy = toContainerInfo(inspect({ Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ Start: '', End: '', ExitCode: 1, Output: 'wget: server returned error: HTTP/1.1 500\n' }] } } as never));
    expect(containerVerdict(unhealthy, true, now)).toEqual({ status: 'fail', text: 'web running 1h, unhealthy: wget: server returned error: HTTP/1.1 500' });
    expect(containerVerdict(unhealthy, false, now).status).toBe('ok');
    const starting = toContainerInfo(inspect({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } } as never));
    expect(containerVerdict(starting, true, now).status).toBe('warn');
    const exited = toContainerInfo(inspect({ Status: 'exited', Running: false, ExitCode: 137, OOMKilled: true, FinishedAt: '2026-11-24T09:55:00Z' }));
    expect(containerVerdict(exited, true, now)).toEqual({ status: 'fail', text: 'web exited (code 137, OOM killed) for 5m' });
    const policyRestarted = toContainerInfo(inspect({ StartedAt: '2026-11-24T09:59:50Z' }));
    expect(containerVerdict(policyRestarted, true, now)).toEqual({ status: 'warn', text: 'web running 10s, restarted 2 times by its restart policy' });
    const paused = toContainerInfo(inspect({ Status: 'paused', Paused: true }));
    expect(paused.running).toBe(false);
    expect(containerVerdict(paused, true, now)).toEqual({ status: 'fail', text: 'web paused' });
    const restarting = toContainerInfo(inspect({ Status: 'restarting', Running: true, Restarting: true }));
    expect(restarting.running).toBe(false);
    expect(containerVerdict(restarting, true, now).status).toBe('fail');
  });

  it('describes selectors for people', () => {
    expect(describeSelector({ name: '/web' })).toBe('container web');
    expect(describeSelector({ service: 'backend', project: 'nordlayer' })).toBe('compose service backend of project nordlayer');
  });
});
