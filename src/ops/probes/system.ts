/**
 * Disk and memory probes: used percent against thresholds. On the bot's own host by default; on
 * an SSH host when the check names one (`host:`) or the target's service manager runs there
 * (remote-system.ts reads `df -Pk` and `/proc/meminfo` through that host's commands).
 */
import { statfs, readFile } from 'node:fs/promises';
import os from 'node:os';
import type { z } from 'zod';
import type { diskProbeSchema, memoryProbeSchema } from '../../config/schema.js';
import { thresholdStatus, type Probe, type ProbeOutcome } from './types.js';
import { remoteDisk, remoteMemory } from './remote-system.js';

type DiskConfig = z.infer<typeof diskProbeSchema>;
type MemoryConfig = z.infer<typeof memoryProbeSchema>;

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;
const onHost = (host: string | undefined) => (host ? ` on ${host}` : '');

/** The reply of a disk check, from used bytes and bytes available to unprivileged users (like df). */
export function diskOutcome(cfg: DiskConfig, used: number, avail: number, host?: string): ProbeOutcome {
  const pct = used + avail > 0 ? (used / (used + avail)) * 100 : 0;
  return {
    status: thresholdStatus(pct, cfg.maxUsedPercent, cfg.warnUsedPercent),
    detail: `${cfg.path} ${pct.toFixed(1)}% used (${gib(avail)} free, limit ${cfg.maxUsedPercent}%)${onHost(host)}`,
    data: { usedPercent: Number(pct.toFixed(1)), freeBytes: avail, ...(host ? { host } : {}) },
  };
}

/** The reply of a memory check, from total and available bytes. */
export function memoryOutcome(cfg: MemoryConfig, total: number, avail: number, host?: string): ProbeOutcome {
  const pct = total > 0 ? ((total - avail) / total) * 100 : 0;
  return {
    status: thresholdStatus(pct, cfg.maxUsedPercent, cfg.warnUsedPercent),
    detail: `${pct.toFixed(1)}% used (${gib(avail)} of ${gib(total)} available, limit ${cfg.maxUsedPercent}%)${onHost(host)}`,
    data: { usedPercent: Number(pct.toFixed(1)), availableBytes: avail, ...(host ? { host } : {}) },
  };
}

export const diskProbe: Probe<DiskConfig> = async (cfg, ctx) => {
  const remote = ctx.services?.hosts?.execFor(ctx.target, cfg.host);
  if (remote) return remoteDisk(cfg, remote, ctx);
  let s;
  try {
    s = await statfs(cfg.path);
  } catch (e) {
    return { status: 'fail', detail: `${cfg.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  return diskOutcome(cfg, (s.blocks - s.bfree) * s.bsize, s.bavail * s.bsize);
};

/** MemAvailable from /proc/meminfo where there is one (what `free` calls available). */
async function availableMemory(): Promise<number> {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return os.freemem();
}

export const memoryProbe: Probe<MemoryConfig> = async (cfg, ctx) => {
  const remote = ctx.services?.hosts?.execFor(ctx.target, cfg.host);
  if (remote) return remoteMemory(cfg, remote, ctx);
  return memoryOutcome(cfg, os.totalmem(), await availableMemory());
};
