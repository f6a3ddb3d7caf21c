/** Scratch folders of a run (`<destination>/.opsbot-work-<id>`) and the engine context with its deadline. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BackupJob } from '../../../config/backup-schema.js';
import type { EngineContext } from '../types.js';

/** Cleanup that must not hide the error being reported (a folder that never existed, a file path under a file). */
export async function removeQuietly(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true }).catch(() => undefined);
}

export function engineContext(job: BackupJob, workDir: string, toolPath: string | undefined, signal?: AbortSignal): EngineContext {
  const timeout = AbortSignal.timeout(job.timeout);
  return { workDir, timeoutMs: job.timeout, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, toolPath };
}

/** The scratch folder of a run: `<destination>/.opsbot-work-<id>`. */
export function workDirOf(job: BackupJob, id: string): string {
  return path.join(job.destination, `.opsbot-work-${id}`);
}

/** A fresh scratch folder `<destination>/.opsbot-work-<id>`. */
export async function freshWorkDir(job: BackupJob, id: string): Promise<string> {
  const dir = workDirOf(job, id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}
