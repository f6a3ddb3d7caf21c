/**
 * The `host:` of checks, containers and backup jobs that run on an SSH host (disk, memory,
 * container and log-count checks, a target's container section, backup jobs) names a host of
 * `hosts:`; an unknown one is a config error with its key path.
 */
import type { z } from 'zod';

interface TargetShape {
  health: Record<string, unknown>[];
  container?: { host?: string | undefined } | undefined;
  backups?: object[] | undefined;
}

export function checkRemoteHostRefs(cfg: { hosts: Record<string, unknown>; targets: Record<string, TargetShape> }, ctx: z.RefinementCtx): void {
  const known = Object.keys(cfg.hosts);
  const unknown = (name: string) => `Unknown host "${name}" (hosts: ${known.join(', ') || 'none; add a hosts: section'})`;
  for (const [target, t] of Object.entries(cfg.targets)) {
    t.health.forEach((check, i) => {
      for (const kind of ['disk', 'memory', 'container', 'log-count'] as const) {
        const host = (check[kind] as { host?: string } | undefined)?.host;
        if (host && !cfg.hosts[host]) ctx.addIssue({ code: 'custom', path: ['targets', target, 'health', i, kind, 'host'], message: unknown(host) });
      }
    });
    const ch = t.container?.host;
    if (ch && !cfg.hosts[ch]) ctx.addIssue({ code: 'custom', path: ['targets', target, 'container', 'host'], message: unknown(ch) });
    (t.backups ?? []).forEach((b, i) => {
      const job = b as { host?: string };
      if (job.host && !cfg.hosts[job.host]) ctx.addIssue({ code: 'custom', path: ['targets', target, 'backups', i, 'host'], message: unknown(job.host) });
    });
  }
}
