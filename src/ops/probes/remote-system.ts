/**
 * Disk and memory of an SSH host: `df -Pk -- <path>` (POSIX output, 1024-byte blocks, one line
 * per file system) and `cat /proc/meminfo`, each an argument vector run through the host's
 * commands with the check's timeout. The path is one argument after `--`: always data.
 */
import type { z } from 'zod';
import type { diskProbeSchema, memoryProbeSchema } from '../../config/schema.js';
import { failureText, type HostExec } from '../hosts/index.js';
import { diskOutcome, memoryOutcome } from './system.js';
import type { ProbeContext, ProbeOutcome } from './types.js';

export interface DfFigures {
  usedBytes: number;
  availableBytes: number;
  mountedOn: string;
}

/**
 * The data line of `df -Pk` output: `<fs> <1024-blocks> <used> <available> <capacity>% <mounted on>`.
 * Parsed from the numbers, so a file system or mount point with spaces still reads right.
 */
export function parseDf(stdout: string): DfFigures | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const line = lines[lines.length - 1];
  if (lines.length < 2 || !line) return undefined;
  const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%?\s+(.+)$/.exec(line);
  if (!m) return undefined;
  return { usedBytes: Number(m[3]) * 1024, availableBytes: Number(m[4]) * 1024, mountedOn: m[6] as string };
}

export interface MeminfoFigures {
  totalBytes: number;
  availableBytes: number;
}

/** MemTotal and MemAvailable (kernels before 3.14: MemFree + Buffers + Cached) from /proc/meminfo. */
export function parseMeminfo(text: string): MeminfoFigures | undefined {
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  if (!total) return undefined;
  const avail = kb('MemAvailable') ?? ((kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0));
  return { totalBytes: total, availableBytes: avail };
}

async function run(host: HostExec, argv: string[], ctx: ProbeContext): Promise<{ stdout: string } | { fail: ProbeOutcome }> {
  try {
    const r = await host.exec(argv, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 256 * 1024 });
    if (r.code !== 0) return { fail: { status: 'fail', detail: `on ${host.host}: ${failureText(argv, r)}` } };
    return { stdout: r.stdout };
  } catch (e) {
    // SSH refusals (host key, auth, connect) are expected failures of the check, with their reason.
    return { fail: { status: 'fail', detail: (e as Error).message } };
  }
}

export async function remoteDisk(cfg: z.infer<typeof diskProbeSchema>, host: HostExec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const r = await run(host, ['df', '-Pk', '--', cfg.path], ctx);
  if ('fail' in r) return r.fail;
  const df = parseDf(r.stdout);
  if (!df) return { status: 'fail', detail: `on ${host.host}: df printed no figures for ${cfg.path}` };
  return diskOutcome(cfg, df.usedBytes, df.availableBytes, host.host);
}

export async function remoteMemory(cfg: z.infer<typeof memoryProbeSchema>, host: HostExec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const r = await run(host, ['cat', '/proc/meminfo'], ctx);
  if ('fail' in r) return r.fail;
  const m = parseMeminfo(r.stdout);
  if (!m) return { status: 'fail', detail: `on ${host.host}: /proc/meminfo has no MemTotal (not Linux?)` };
  return memoryOutcome(cfg, m.totalBytes, m.availableBytes, host.host);
}
