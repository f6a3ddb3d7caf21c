/** `status [target|all]`: the `docker-compose ps` of a target, or of every target with a container. */
import { z } from 'zod';
import type { Config, TargetContainerConfig } from '../../config/schema.js';
import { defineCommand } from '../../core/command.js';
import { isUserError } from '../../core/errors.js';
import { table, worstStatus, type Reply, type Status } from '../../core/reply.js';
import { describeSelector, type DockerService } from '../../ops/docker/index.js';
import { hiddenNote, inScope, resolveTargets, singleTarget, targetOrAllParam } from '../targets.js';
import { containerTarget, selectorOf, targetArg } from './config.js';
import { stateCell, statusOfContainer, uptime } from './format.js';

export function statusCommand(deps: { targets: Config['targets']; docker: DockerService }) {
  const { docker } = deps;
  const withContainers = () => Object.entries(deps.targets).filter(([, t]) => t.container);
  return defineCommand({
    name: 'status',
    summary: 'Containers of a target (or all): state, health, uptime, restart count, image',
    params: [targetOrAllParam],
    schema: z.object({ target: targetArg.optional() }),
    risk: 'read',
    targetOf: (a) => singleTarget(a.target),
    touches: () => 'filtered',
    describe: (a, access) => {
      const list = a.target && a.target !== 'all' ? [containerTarget(deps.targets, a.target)] : inScope(access, withContainers()).visible;
      return `inspect the containers of ${list.map(([n, , c]) => `${n} (${describeSelector(selectorOf(c as TargetContainerConfig))} on ${docker.hostOf(selectorOf(c as TargetContainerConfig))})`).join(', ') || 'no targets'}; nothing is changed`;
    },
    async run(ctx, a): Promise<Reply> {
      const one = a.target && a.target !== 'all';
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
}
