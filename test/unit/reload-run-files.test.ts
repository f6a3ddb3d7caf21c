/**
 * The pid files `opsbot reload` finds bots by: a live bot here is found, the file of a process
 * that is gone is removed, and a file written on another host or in another PID namespace (a data
 * folder on a shared disk, or mounted into a container) is neither signalled nor removed: its pid
 * names some other process here.
 */
import { describe, expect, it } from '@jest/globals';
import { access, chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpDir } from '../support/servers.js';
import { liveBots, processPlace, processStartTicks, runDir, type PidFile } from '../../src/wiring/reload/run-files.js';

const exists = (f: string) => access(f).then(() => true, () => false);

describe('reload pid files', () => {
  it('given pid files of a live bot here, a gone one and one from another PID namespace, then only the live one here is found, the gone one is removed and the other is left alone', async () => {
    const { dir, cleanup } = await tmpDir('opsbot-run-files-');
    try {
      await mkdir(runDir(dir), { recursive: true });
      const place = await processPlace();
      const file = (pid: number) => path.join(runDir(dir), `opsbot-${pid}.pid`);
      const write = (e: PidFile) => writeFile(file(e.pid), JSON.stringify(e));
      const startTicks = await processStartTicks(process.pid);
      const here: PidFile = { pid: process.pid, config: '/etc/opsbot.yaml', startedAt: 'now', ...(startTicks ? { startTicks } : {}), place };
      const gone: PidFile = { pid: 999_999_1, config: '/etc/opsbot.yaml', startedAt: 'then', place };
      // Its pid is alive here (it is ours), but it was written in a container: pid 1 there.
      const container: PidFile = { pid: process.ppid, config: '/config/opsbot.yaml', startedAt: 'now', startTicks: '1', place: 'opsbot-7f3c pid:[4026532999]' };
      await Promise.all([write(here), write(gone), write(container)]);

      const found = await liveBots(dir);

      expect(found.here).toEqual([here]);
      expect(found.elsewhere).toEqual([container]);
      expect(found.notTheirs).toEqual([]);
      expect(await exists(file(container.pid))).toBe(true);
      expect(await exists(file(gone.pid))).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('given a pid file naming a live process of another user, then it is not taken for a bot: opsbot reload (often run with sudo) never signals it', async () => {
    const { dir, cleanup } = await tmpDir('opsbot-run-files-');
    try {
      await mkdir(runDir(dir), { recursive: true });
      const place = await processPlace();
      // As root: a file of "nobody" naming this (root) process; otherwise a file of ours naming pid 1 (root's init).
      const root = process.getuid?.() === 0;
      const pid = root ? process.pid : 1;
      const startTicks = await processStartTicks(pid);
      const forged: PidFile = { pid, config: '/etc/opsbot.yaml', startedAt: 'now', ...(startTicks ? { startTicks } : {}), place };
      const file = path.join(runDir(dir), `opsbot-${pid}.pid`);
      await writeFile(file, JSON.stringify(forged));
      if (root) await chown(file, 65534, 65534);

      const found = await liveBots(dir);

      expect(found.here).toEqual([]);
      expect(found.notTheirs).toEqual([forged]);
    } finally {
      await cleanup();
    }
  });
});
