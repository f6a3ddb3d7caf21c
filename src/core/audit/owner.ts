/** The identity of this process in `started` audit entries, and whether another entry's owner still runs. */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AuditOwner } from './entry.js';

export const thisProcess: AuditOwner = { host: hostname(), pid: process.pid, instance: randomBytes(6).toString('hex') };

/** True while a process with this pid exists on this host (EPERM: it exists, but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the owner of a `started` entry is certainly gone: only for owners on this host, whose
 * pid is not alive or is this very process under another instance id (a restart that got the same
 * pid). Owners on other hosts are never judged here; their entries turn `interrupted` at their deadline.
 */
export function ownerGone(owner: AuditOwner, me: AuditOwner, alive: (pid: number) => boolean): boolean {
  if (owner.host !== me.host) return false;
  if (owner.instance === me.instance) return false;
  if (owner.pid === me.pid) return true;
  return !alive(owner.pid);
}
