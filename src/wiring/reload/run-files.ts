/**
 * The files by which `opsbot reload` finds running bots and hears back from them, under
 * `OPSBOT_DATA_DIR/run/`: `opsbot-<pid>.pid` (written at start, removed at stop; one of a
 * process that is gone is stale and ignored) and `opsbot-<pid>.reload.json`, the outcome of that
 * process's latest reload.
 */
import { mkdir, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { pidAlive } from '../../core/audit/owner.js';

export interface PidFile {
  pid: number;
  /** The config file the process reloads (absolute). */
  config: string;
  startedAt: string;
  /** The kernel's start time of the process (Linux `/proc/<pid>/stat`): a pid reused by another process is not signalled. */
  startTicks?: string;
  /**
   * Where the pid means that process: the host name and (Linux) the PID namespace. A data folder
   * seen from another host (a shared disk) or from outside a container holds pid files whose
   * pids name other processes here: those are never signalled, nor removed.
   */
  place?: string;
}

export interface ReloadStatus {
  pid: number;
  /** The reload read the file after this instant (ms): it covers every SIGHUP sent before. */
  covers: number;
  finishedAt: string;
  outcome: 'applied' | 'refused';
  /** Keys applied (`rbac`, `alerting.routes`); empty when the file did not change anything. */
  changed: string[];
  /** Why it was refused, each with its key path. */
  problems: string[];
}

export const runDir = (dataDir: string): string => path.resolve(dataDir, 'run');
const pidPath = (dataDir: string, pid: number) => path.join(runDir(dataDir), `opsbot-${pid}.pid`);
const statusPath = (dataDir: string, pid: number) => path.join(runDir(dataDir), `opsbot-${pid}.reload.json`);

/** Written atomically (a reader never sees half a file). */
async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`);
  await rename(tmp, file);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Field 22 of `/proc/<pid>/stat` (after the command name, which may hold spaces); undefined off Linux. */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** This host and PID namespace, as a pid file records it. */
export async function processPlace(): Promise<string> {
  const ns = await readlink('/proc/self/ns/pid').catch(() => undefined);
  return ns ? `${hostname()} ${ns}` : hostname();
}

/** The process is alive and is the one that wrote the pid file (not a later one that got its pid). */
async function isThatProcess(entry: PidFile, alive: (pid: number) => boolean): Promise<boolean> {
  if (!alive(entry.pid)) return false;
  if (!entry.startTicks) return true;
  const now = await processStartTicks(entry.pid);
  return now === undefined || now === entry.startTicks;
}

export async function writePidFile(dataDir: string, entry: PidFile): Promise<void> {
  await writeJson(pidPath(dataDir, entry.pid), entry);
}

export async function removeRunFiles(dataDir: string, pid: number): Promise<void> {
  await Promise.all([rm(pidPath(dataDir, pid), { force: true }), rm(statusPath(dataDir, pid), { force: true })]);
}

export async function writeStatus(dataDir: string, status: ReloadStatus): Promise<void> {
  await writeJson(statusPath(dataDir, status.pid), status);
}

export function readStatus(dataDir: string, pid: number): Promise<ReloadStatus | undefined> {
  return readJson<ReloadStatus>(statusPath(dataDir, pid));
}

export interface LiveBots {
  /** The bots running on this data folder, here (this host and PID namespace). */
  here: PidFile[];
  /** Pid files written on another host or in another PID namespace: left alone. */
  elsewhere: PidFile[];
  /**
   * Pid files whose owner is not the owner of the live process they name: never signalled (whoever
   * may write the run folder could otherwise have `sudo opsbot reload` send SIGHUP to any process).
   */
  notTheirs: PidFile[];
}

/** The owner of the file and of the process (Linux /proc), or undefined where that cannot be read. */
async function owners(file: string, pid: number): Promise<{ file: number; process: number } | undefined> {
  try {
    const [f, p] = await Promise.all([stat(file), stat(`/proc/${pid}`)]);
    return { file: f.uid, process: p.uid };
  } catch {
    return undefined;
  }
}

/** The bots running on this data folder; pid files of processes here that are gone are removed. */
export async function liveBots(dataDir: string, alive: (pid: number) => boolean = pidAlive): Promise<LiveBots> {
  const out: LiveBots = { here: [], elsewhere: [], notTheirs: [] };
  let names: string[];
  try {
    names = await readdir(runDir(dataDir));
  } catch {
    return out;
  }
  const place = await processPlace();
  for (const name of names) {
    const m = /^opsbot-(\d+)\.pid$/.exec(name);
    if (!m) continue;
    const file = path.join(runDir(dataDir), name);
    const entry = await readJson<PidFile>(file);
    const pid = Number(m[1]);
    if (entry && entry.pid === pid && entry.place !== undefined && entry.place !== place) out.elsewhere.push(entry);
    else if (entry && entry.pid === pid && (await isThatProcess(entry, alive))) {
      const own = await owners(file, pid);
      if (own && own.file !== own.process) out.notTheirs.push(entry);
      else out.here.push(entry);
    } else await removeRunFiles(dataDir, pid);
  }
  out.here.sort((a, b) => a.pid - b.pid);
  return out;
}
