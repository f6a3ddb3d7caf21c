/** Config of service managers and hosts: references and bad values are errors with their key path. */
import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';

const parse = (yaml: string) => parseConfigText(yaml, 't.yaml', {});

describe('targets.<t>.manager and hosts', () => {
  it('given a manager naming an unknown host, then the error names the key and the known hosts', () => {
    expect(() => parse('targets:\n  web:\n    manager: { kind: systemd, unit: web, host: db1 }\n')).toThrow('targets.web.manager.host: Unknown host "db1" (hosts: none; add a hosts: section)');
  });

  it('given a host with both or neither key source, then it is an error', () => {
    expect(() => parse('hosts:\n  db1: { address: 10.0.0.5, user: ops }\n')).toThrow('hosts.db1.privateKeyFile: Give exactly one of privateKeyFile or privateKeyEnv');
  });

  it('given a host key that is neither a key line nor a fingerprint, then it is an error', () => {
    expect(() => parse('hosts:\n  db1: { address: 10.0.0.5, user: ops, privateKeyEnv: K, hostKey: "md5:aa:bb" }\n')).toThrow(/hosts\.db1\.hostKey: Not a host key/);
  });

  it('given a unit name with shell syntax or a leading dash, then it is an error', () => {
    expect(() => parse('targets:\n  web:\n    manager: { kind: systemd, unit: "web; reboot" }\n')).toThrow(/targets\.web\.manager\.unit: A systemd unit name/);
    expect(() => parse('targets:\n  web:\n    manager: { kind: systemd, unit: "--help" }\n')).toThrow(/targets\.web\.manager\.unit/);
  });

  it('given kind docker without a container section, or a container next to systemd, then each is an error', () => {
    expect(() => parse('targets:\n  web:\n    manager: { kind: docker }\n')).toThrow(/targets\.web\.manager: kind: docker uses the target's container section/);
    expect(() => parse('targets:\n  web:\n    container: { name: web }\n    manager: { kind: pm2, name: web }\n')).toThrow(/targets\.web\.container: The target's service runs under pm2/);
  });

  it('given a valid systemd target on an SSH host, then defaults are filled in', () => {
    const c = parse('hosts:\n  db1: { address: 10.0.0.5, user: ops, privateKeyFile: /etc/opsbot/id_ed25519 }\ntargets:\n  web:\n    manager: { kind: systemd, unit: web, host: db1 }\n');
    expect(c.hosts.db1).toMatchObject({ port: 22, connectTimeout: 10_000 });
    expect(c.targets.web?.manager).toMatchObject({ kind: 'systemd', unit: 'web', host: 'db1', sudo: false, userUnit: false, restartTimeout: 60_000 });
  });
});
