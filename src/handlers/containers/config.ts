/** From a target's config to what the container commands need: its container, selector and restart checks. */
import type { Config, TargetConfig, TargetContainerConfig } from '../../config/schema.js';
import { probeKindsOf } from '../../config/schema.js';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import type { ContainerSelector } from '../../ops/docker/index.js';
import { RESTART_IGNORED_KINDS } from '../../ops/container-restart/index.js';
import { checkName } from '../../ops/probes/index.js';
import { resolveTarget } from '../targets.js';

export const targetArg = z.string().min(1).max(64);

/** Longest one container's restart may take: stop grace, the wait, a last round of checks, Docker calls and logs. */
export function restartBudgetMs(c: TargetContainerConfig, checkTimeoutMs: number): number {
  return c.stopTimeout + c.restartTimeout + checkTimeoutMs + 20_000;
}

export function selectorOf(c: TargetContainerConfig): ContainerSelector {
  return { name: c.name, service: c.service, project: c.project, dockerHost: c.dockerHost, host: c.host };
}

export function containerTarget(targets: Config['targets'], name: string): [string, TargetConfig, TargetContainerConfig] {
  const [target, t] = resolveTarget(targets, name);
  if (!t.container) throw new UserError('invalid', `Target "${target}" has no container or service configured (add a \`container:\` section with name or service, or a \`manager:\`).`);
  return [target, t, t.container];
}

/** The checks a restart waits for: `waitFor` by name, or all but those a restart does not change. */
export function restartChecks(t: TargetConfig) {
  const wanted = t.container?.waitFor ?? (t.manager && t.manager.kind !== 'docker' ? t.manager.waitFor : undefined);
  if (wanted) {
    const known = new Map(t.health.map((c) => [checkName(c), c]));
    const missing = wanted.filter((n) => !known.has(n));
    if (missing.length) throw new UserError('invalid', `waitFor names checks that do not exist: ${missing.join(', ')} (checks: ${[...known.keys()].join(', ') || 'none'})`);
    return wanted.map((n) => known.get(n) as TargetConfig['health'][number]);
  }
  return t.health.filter((c) => !probeKindsOf(c).some((k) => RESTART_IGNORED_KINDS.has(k)));
}
