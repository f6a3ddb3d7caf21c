/** Parsing remote `df -Pk` and `/proc/meminfo` output, and the config errors of unknown hosts on checks and backup jobs. */
import { describe, expect, it } from '@jest/globals';
import { parseDf, parseMeminfo } from '../../src/ops/probes/remote-system.js';
import { parseConfigText } from '../../src/config/load.js';

const parse = (yaml: string) => parseConfigText(yaml, 't.yaml', {});

describe('parseDf', () => {
  it('given GNU df -Pk output (Debian 12), then used and available are in bytes', () => {
    const out = 'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda        263174212 26214400  80000000      25% /\n';
    expect(parseDf(out)).toEqual({ usedBytes: 26214400 * 1024, availableBytes: 80000000 * 1024, mountedOn: '/' });
  });
  it('given a mount point with spaces, then the numbers still read right', () => {
    const out = 'Filesystem 1024-blocks Used Available Capacity Mounted on\nserver:/my share 1000 250 750 25% /mnt/my share\n';
    expect(parseDf(out)).toMatchObject({ usedBytes: 250 * 1024, availableBytes: 750 * 1024, mountedOn: '/mnt/my share' });
  });
  it('given no data line, then undefined', () => {
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n')).toBeUndefined();
  });
});

describe('parseMeminfo', () => {
  it('given MemAvailable (Linux >= 3.14), then it is the available memory', () => {
    expect(parseMeminfo('MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    4000000 kB\n')).toEqual({ totalBytes: 8000000 * 1024, availableBytes: 4000000 * 1024 });
  });
  it('given an old kernel without MemAvailable, then free + buffers + cached', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n')).toEqual({ totalBytes: 1000 * 1024, availableBytes: 400 * 1024 });
  });
  it('given no MemTotal, then undefined', () => {
    expect(parseMeminfo('nothing')).toBeUndefined();
  });
});

describe('hosts of checks and backup jobs', () => {
  it('given a disk check on an unknown host, then the error names its key path', () => {
    expect(() => parse('targets:\n  a:\n    health:\n      - disk: { host: nope, path: / }\n')).toThrow(/targets\.a\.health\[0\]\.disk\.host.*Unknown host "nope"/s);
  });
  it('given a files backup on an unknown host, then the error names its key path', () => {
    expect(() => parse('targets:\n  a:\n    backups:\n      - { kind: files, host: nope, source: { dir: /srv }, destination: /backups }\n')).toThrow(/targets\.a\.backups\[0\]\.host.*Unknown host "nope"/s);
  });
  it('given a postgres or mongodb backup on an unknown host, then the error names its key path', () => {
    expect(() => parse('targets:\n  a:\n    backups:\n      - { kind: postgres, host: x, source: "postgres://u@h/db", destination: /backups }\n')).toThrow(/targets\.a\.backups\[0\]\.host.*Unknown host "x"/s);
    expect(() => parse('targets:\n  a:\n    backups:\n      - { kind: mongodb, tool: mongodump, host: x, source: "mongodb://h/db", destination: /backups }\n')).toThrow(/targets\.a\.backups\[0\]\.host.*Unknown host "x"/s);
  });
});
