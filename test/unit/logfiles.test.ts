/** Log files: config errors with their key path, which file names a source covers, line timestamps and JSON conditions. */
import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';
import { fileNameMatcher, lineTest, parseTime } from '../../src/ops/logfiles/index.js';

const parse = (yaml: string) => parseConfigText(yaml, 't.yaml', {});
const source = (over = '') => `targets:\n  db:\n    logFiles:\n      - { name: app, path: /var/log/db/*.log, json: true, timestamp: { field: ts }${over} }\n`;

describe('targets.<t>.logFiles config', () => {
  it('given a wildcard in a folder, a relative path or "..", then each is an error at its key', () => {
    expect(() => parse('targets:\n  db:\n    logFiles:\n      - { path: "/var/*/db.log", timestamp: { regex: "^(\\\\S+)" } }\n')).toThrow(/targets\.db\.logFiles\[0\]\.path: Wildcards .* in the file name only/);
    expect(() => parse('targets:\n  db:\n    logFiles:\n      - { path: "var/log/db.log", timestamp: { regex: "^(\\\\S+)" } }\n')).toThrow(/targets\.db\.logFiles\[0\]\.path: Must be an absolute path/);
    expect(() => parse('targets:\n  db:\n    logFiles:\n      - { path: "/var/log/../../etc/shadow", timestamp: { regex: "^(\\\\S+)" } }\n')).toThrow(/targets\.db\.logFiles\[0\]\.path: Must be a normalized path/);
  });

  it('given a timestamp field on text lines or a regex on JSON lines, then it is an error', () => {
    expect(() => parse('targets:\n  db:\n    logFiles:\n      - { path: /var/log/db.log, timestamp: { field: ts } }\n')).toThrow(/timestamp\.field: timestamp\.field reads JSON lines/);
    expect(() => parse(source().replace('field: ts', 'regex: "^x"'))).toThrow(/timestamp\.regex: JSON lines take their time from a field/);
  });

  it('given an unknown host, then the error names the hosts there are', () => {
    expect(() => parse(source(', host: db1'))).toThrow('targets.db.logFiles[0].host: Unknown host "db1"');
  });

  it('given a log-count check naming a source that does not exist, or match on a text source, then it is an error', () => {
    expect(() => parse(`${source()}    health:\n      - log-count: { files: nope, pattern: x, failAt: 1 }\n`)).toThrow('targets.db.health[0].log-count.files: Target "db" has no log source "nope" (logFiles: app)');
    const text = 'targets:\n  db:\n    logFiles:\n      - { name: app, path: /var/log/db.log, timestamp: { regex: "^(\\\\S+)" } }\n    health:\n      - log-count: { files: app, match: { level: ERROR }, failAt: 1 }\n';
    expect(() => parse(text)).toThrow(/match and where read JSON lines, and log source "app" is not json: true/);
  });

  it('given a bad comparison or match without files, then each is an error', () => {
    expect(() => parse(`${source()}    health:\n      - log-count: { files: app, where: ["duration_ms >> 5"], failAt: 1 }\n`)).toThrow(/where\[0\]: A comparison like "duration_ms > 1000"/);
    expect(() => parse('targets:\n  db:\n    container: { name: db }\n    health:\n      - log-count: { match: { level: ERROR }, failAt: 1 }\n')).toThrow(/log-count\.files: match and where apply to JSON log files/);
  });

  it('given a valid JSON source and check, then defaults are filled in and the check needs no container', () => {
    const cfg = parse(`${source()}    health:\n      - log-count: { files: app, match: { level: ERROR }, where: ["duration_ms > 1000"], window: 1h, failAt: 5 }\n`);
    const s = cfg.targets.db?.logFiles?.[0];
    expect(s).toMatchObject({ name: 'app', rotated: true, maxLines: 200_000, timestamp: { format: 'iso', zone: 'UTC' } });
  });
});

describe('which files a source reads', () => {
  it('given a glob and rotation, then live files and their rotated copies match and nothing else', () => {
    const m = fileNameMatcher('*.log', true);
    for (const n of ['app.log', 'app.log.1', 'app.log.12.gz', 'app.log-20261201', 'app.log-20261201.gz', 'app.log.gz']) expect(m.matches(n)).toBe(true);
    for (const n of ['app.txt', 'app.log.bak', 'app.log.1.tmp', '.log.swp']) expect(m.matches(n)).toBe(false);
    expect(fileNameMatcher('app.log', false).matches('app.log.1')).toBe(false);
    expect(fileNameMatcher('a?[0-9].log', false).matches('ab7.log')).toBe(true);
  });
});

describe('line times and JSON conditions', () => {
  it('given each format, then the time is read in the zone given when the text carries none', () => {
    expect(parseTime('2026-12-01T10:00:00Z', { format: 'iso', zone: 'UTC' })).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseTime('2026-12-01 10:00:00', { format: 'iso', zone: 'Europe/Berlin' })).toBe(Date.UTC(2026, 11, 1, 9));
    expect(parseTime('01/Dec/2026:10:00:00 +0000', { format: 'dd/MMM/yyyy:HH:mm:ss ZZZ', zone: 'UTC' })).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseTime(1_764_583_200, { format: 'epoch', zone: 'UTC' })).toBe(1_764_583_200_000);
    expect(parseTime('1764583200123', { format: 'epoch-ms', zone: 'UTC' })).toBe(1_764_583_200_123);
    expect(parseTime('yesterday', { format: 'iso', zone: 'UTC' })).toBeNaN();
  });

  it('given match and where, then a line counts only when every condition holds, and text lines never match', () => {
    const test = lineTest({ match: { level: ['ERROR', 'FATAL'], 'ctx.db': 'main' }, where: ['duration_ms >= 1000'] });
    const line = (json: Record<string, unknown>) => ({ text: JSON.stringify(json), json });
    expect(test(line({ level: 'ERROR', ctx: { db: 'main' }, duration_ms: 1000 }))).toBe(true);
    expect(test(line({ level: 'FATAL', ctx: { db: 'main' }, duration_ms: '2000' }))).toBe(true);
    expect(test(line({ level: 'WARN', ctx: { db: 'main' }, duration_ms: 5000 }))).toBe(false);
    expect(test(line({ level: 'ERROR', ctx: { db: 'main' }, duration_ms: 999 }))).toBe(false);
    expect(test(line({ level: 'ERROR', ctx: { db: 'main' } }))).toBe(false);
    expect(test({ text: 'ERROR main duration_ms=5000' })).toBe(false);
  });
});
