/** Local disk and memory probes: used percent against thresholds. */
import { statfs, readFile } from 'node:fs/promises';
import os from 'node:os';
import type { z } from 'zod';
import type { diskProbeSchema, memoryProbeSchema } from '../../config/schema.js';
import { thresholdStatus, type Probe } from './types.js';

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

export const diskProbe: Probe<z.infer<typeof diskProbeSchema>> = async (cfg) => {
  let s;
  try {
    s = await statfs(cfg.path);
  } catch (e) {
    return { status: 'fail', detail: `${cfg.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  // Like df: used / (used + available to unprivileged users).
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const pct = used + avail > 0 ? (used / (used + avail)) * 100 : 0;
  const status = thresholdStatus(pct, cfg.maxUsedPercent, cfg.warnUsedPercent);
  return {
    status,
    detail: `${cfg.path} ${pct.toFixed(1)}% used (${gib(avail)} free, limit ${cfg.maxUsedPercent}%)`,
    data: { usedPercent: Number(pct.toFixed(1)), freeBytes: avail },
  };
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

export const memoryProbe: Probe<z.infer<typeof memoryProbeSchema>> = async (cfg) => {
  const total = os.totalmem();
  const avail = await availableMemory();
  const pct = ((total - avail) / total) * 100;
  return {
    status: thresholdStatus(pct, cfg.maxUsedPercent, cfg.warnUsedPercent),
    detail: `${pct.toFixed(1)}% used (${gib(avail)} of ${gib(total)} available, limit ${cfg.maxUsedPercent}%)`,
    data: { usedPercent: Number(pct.toFixed(1)), availableBytes: avail },
  };
};
