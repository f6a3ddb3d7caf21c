/** `status [target|all]`: the `docker-compose ps` of a target, or of every target with a container. */
import { z } from 'zod';
import type { Config, TargetContainerConfig } from '../../config/schema.js';
import { defineCommand } from '../../core/command.js';
import { isUserError } from '../../core/errors.js';
import { table, worstStatus, type Reply, type Status } from '../../core/reply.js';
import { describeSelector, type DockerService } from '../../ops/docker/index.js';
import { hiddenNote, inScope, resolveTarget, resolveTargets, singleTarget, targetOrAllParam } from '../targets.js';
import { containerTarget, selectorOf, targetArg } from './config.js';
import { stateCell, statusOfContainer, uptime } from './format.js';
import { hostServiceOf, SERVICE_COLUMNS, serviceRows, serviceTargets, stateStatus, type ServiceAccess } from './services.js';

export function statusCommand(deps: { targets: Config['targets']; docker: DockerService; services?: ServiceAccess | undefined }) {
  const { docker } = deps;
  const withContainers = () => Object.entries(deps.targets).filter(([, t]) => t.container);
  const services = deps.services;
  return defineCommand({
    name: 'status',
    summary: 'Containers of a target (or all): state, health, uptime, restart count, image',
    params: [targetOrAllParam],
    schema: z.object({ target: targetArg.optional() }),
    risk: 'read',
    targetOf: (a) => singleTarget(a.target),
    touches: () => 'filtered',
    describe: (a, access) => {
      const one = a.target && a.target !== 'all' ? resolveTarget(deps.targets, a.target) : undefined;
      if (one && services && hostServiceOf(one[1])) return `ask ${services.managerOf(one[0]).describe()} for its state; nothing is changed`;
      const list = one ? [containerTarget(deps.targets, a.target as string)] : inScope(access, withContainers()).visible;
      const svc = one || !services ? [] : inScope(access, serviceTargets(deps.targets)).visible.map(([n]) => `${n} (${services.managerOf(n).describe()})`);
      return `inspect the containers of ${list.map(([n, , c]) => `${n} (${describeSelector(selectorOf(c as TargetContainerConfig))} on ${docker.hostOf(selectorOf(c as TargetContainerConfig))})`).join(', ') || 'no targets'}`
        + `${svc.length ? `; ask the service managers of ${svc.join(', ')}` : ''}; nothing is changed`;
    },
    async run(ctx, a): Promise<Reply> {
      const one = a.target && a.target !== 'all';
      const oneTarget = one ? resolveTarget(deps.targets, a.target as string)[1] : undefined;
      if (services && (oneTarget ? hostServiceOf(oneTarget) : serviceTargets(deps.targets).length > 0)) {
        return statusWithServices(ctx, one ? (a.target as string) : undefined);
      }
      const { visible: list, hidden } = inScope<TargetContainerConfig>(ctx.access, one
        ? [containerTarget(deps.targets, a.target as string)].map(([n, , c]) => [n, c] as [string, TargetContainerConfig])
        : resolveTargets(deps.targets, undefined).filter(([, t]) => t.container).map(([n, t]) => [n, t.container as TargetContainerConfig]));
      if (list.length === 0) return { title: 'Containers', status: 'info', blocks: [{ type: 'text', text: `No target${hidden ? ' in your scope' : ''} has a container configured.` }, ...hiddenNote(hidden)], visibility: 'ephemeral' };
      const now = Date.now();
      const results = await Promise.all(list.map(async ([name, c]) => {
        try {
          return { name, c, containers: await docker.list(selectorOf(c), ctx.signal) };
        } catch (e) {
          if (one || !isUserError(e)) throw e;
          return { name, c, error: e.message };
        }
      }));
      const rows: string[][] = [];
      const statuses: Status[] = [];
      for (const r of results) {
        if ('error' in r) {
          rows.push([r.name, '-', '-', `error: ${r.error}`, '-', '-', '-']);
          statuses.push('fail');
        } else if (r.containers.length === 0) {
          rows.push([r.name, '-', '-', `no container for ${describeSelector(selectorOf(r.c))}`, '-', '-', '-']);
          statuses.push('fail');
        } else {
          for (const c of r.containers) {
            rows.push([r.name, c.name, c.image, stateCell(c), c.health ?? '-', uptime(c, now), String(c.restartCount)]);
            statuses.push(statusOfContainer(c));
          }
        }
      }
      const st = worstStatus(statuses, 'info');
      const down = rows.filter((_, i) => statuses[i] !== 'ok').length;
      return {
        title: `Containers: ${one ? a.target : 'all targets'}`,
        status: st,
        blocks: [
          { type: 'text', text: down ? `${down} of ${rows.length} not running and healthy.` : `${rows.length} container${rows.length === 1 ? '' : 's'} running${rows.length ? ' and healthy' : ''}.` },
          table(['Target', 'Container', 'Image', 'State', 'Health', 'Uptime', 'Restarts'], rows),
          ...hiddenNote(hidden),
        ],
        visibility: 'channel',
      };
    },
  });

  /** Containers and services together: each service through its manager, on its host. */
  async function statusWithServices(ctx: { signal: AbortSignal; access: Parameters<typeof inScope>[0] }, only: string | undefined): Promise<Reply> {
    const svc = services as ServiceAccess;
    const { visible: sList, hidden: sHidden } = inScope(ctx.access, only ? serviceTargets(deps.targets).filter(([n]) => n === only) : serviceTargets(deps.targets));
    const { visible: cList, hidden: cHidden } = only ? { visible: [], hidden: 0 } : inScope(ctx.access, withContainers());
    const now = Date.now();
    const statuses: Status[] = [];
    const sRows: string[][] = [];
    for (const [name] of sList) {
      const m = svc.managerOf(name);
      try {
        const states = await m.status(ctx.signal);
        sRows.push(...serviceRows(name, m, states, now));
        statuses.push(...states.map(stateStatus));
      } catch (e) {
        if (only || !isUserError(e)) throw e;
        sRows.push([name, m.name, m.kind, m.host, `error: ${e.message}`, '-', '-', '-']);
        statuses.push('fail');
      }
    }
    const cRows: string[][] = [];
    for (const [name, t] of cList) {
      const c = t.container as TargetContainerConfig;
      try {
        for (const ct of await docker.list(selectorOf(c), ctx.signal)) {
          cRows.push([name, ct.name, ct.image, stateCell(ct), ct.health ?? '-', uptime(ct, now), String(ct.restartCount)]);
          statuses.push(statusOfContainer(ct));
        }
      } catch (e) {
        if (!isUserError(e)) throw e;
        cRows.push([name, '-', '-', `error: ${e.message}`, '-', '-', '-']);
        statuses.push('fail');
      }
    }
    const down = statuses.filter((x) => x !== 'ok').length;
    return {
      title: only ? `Service: ${only}` : 'Containers and services: all targets',
      status: worstStatus(statuses, 'info'),
      blocks: [
        { type: 'text', text: down ? `${down} of ${statuses.length} not running.` : `${statuses.length} running.` },
        ...(cRows.length ? [table(['Target', 'Container', 'Image', 'State', 'Health', 'Uptime', 'Restarts'], cRows, 'Containers')] : []),
        table(SERVICE_COLUMNS, sRows, 'Services'),
        ...hiddenNote(sHidden + cHidden),
      ],
      visibility: 'channel',
    };
  }
}
