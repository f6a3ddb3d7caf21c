/** Log folders for log-file tests: a live file, rotated `.1` and `.2.gz` copies and a JSON log, each line stamped relative to now. */
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const MIN = 60_000;

/** `2026-12-01 10:00:00` in UTC. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * app.log: 3 ERROR lines (one with a stack trace line after it) and 2 INFO lines in the last 30
 * minutes; app.log.1: 2 ERROR 2-3 hours ago; app.log.2.gz: 4 ERROR about a day ago; notes.txt
 * (not of the source) with an ERROR; ferritedb.log: JSON lines of the last 20 minutes.
 */
export async function writeLogFolder(dir: string, now = Date.now()): Promise<void> {
  const live = [
    `${stamp(now - 30 * MIN)} INFO started`,
    `${stamp(now - 25 * MIN)} ERROR db timeout`,
    '    at Pool.query (pool.js:10)',
    `${stamp(now - 20 * MIN)} INFO request ok`,
    `${stamp(now - 10 * MIN)} ERROR db timeout`,
    `${stamp(now - 1 * MIN)} ERROR disk full password=hunter2`,
  ];
  await writeFile(path.join(dir, 'app.log'), `${live.join('\n')}\n`);
  const rotated1 = [`${stamp(now - 180 * MIN)} ERROR old one`, `${stamp(now - 150 * MIN)} ERROR old two`, `${stamp(now - 121 * MIN)} INFO rotated`];
  await writeFile(path.join(dir, 'app.log.1'), `${rotated1.join('\n')}\n`);
  await utimes(path.join(dir, 'app.log.1'), (now - 120 * MIN) / 1000, (now - 120 * MIN) / 1000);
  const rotated2 = [0, 1, 2, 3].map((i) => `${stamp(now - 1440 * MIN + i * MIN)} ERROR yesterday ${i}`);
  await writeFile(path.join(dir, 'app.log.2.gz'), gzipSync(`${rotated2.join('\n')}\n`));
  await utimes(path.join(dir, 'app.log.2.gz'), (now - 1400 * MIN) / 1000, (now - 1400 * MIN) / 1000);
  await writeFile(path.join(dir, 'notes.txt'), `${stamp(now)} ERROR not a log of the source\n`);
  const json = [
    { timestamp: new Date(now - 20 * MIN).toISOString(), level: 'INFO', message: 'query', duration_ms: 12 },
    { timestamp: new Date(now - 15 * MIN).toISOString(), level: 'ERROR', message: 'authentication_failed', ip_address: '10.0.0.9' },
    { timestamp: new Date(now - 12 * MIN).toISOString(), level: 'WARN', message: 'slow_query', duration_ms: 1500 },
    { timestamp: new Date(now - 5 * MIN).toISOString(), level: 'ERROR', message: 'slow_query', duration_ms: 2500 },
    { timestamp: new Date(now - 2 * MIN).toISOString(), level: 'INFO', message: 'query', duration_ms: '1001' },
  ].map((o) => JSON.stringify(o));
  await writeFile(path.join(dir, 'ferritedb.log'), `${json.join('\n')}\nnot json at all\n`);
}

/** The `logFiles:` and checks of a target reading that folder (`host:` optional). */
export function logTargetYaml(dir: string, host?: string): string {
  const on = host ? `, host: ${host}` : '';
  return `
    logFiles:
      - { name: app, path: "${dir}/a*.log", timestamp: { regex: '^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)', format: "yyyy-MM-dd HH:mm:ss" }${on} }
      - { name: ferritedb, path: "${dir}/ferritedb.log", json: true, timestamp: { field: timestamp }${on} }
    health:
      - name: errors last hour
        log-count: { files: app, pattern: ERROR, window: 1h, warnAt: 2, failAt: 10 }
      - name: errors last two days
        log-count: { files: app, pattern: ERROR, window: 2d, failAt: 100 }
      - name: json errors
        log-count: { files: ferritedb, match: { level: ERROR }, window: 1h, failAt: 5 }
      - name: slow queries
        log-count: { files: ferritedb, where: ["duration_ms > 1000"], window: 1h, failAt: 2 }
`;
}
