/** How a container reads in a table cell: state, health, uptime. */
import { formatDuration } from '../../core/duration.js';
import type { Status } from '../../core/reply.js';
import type { ContainerInfo } from '../../ops/docker/index.js';
import { containerVerdict } from '../../ops/probes/container.js';

export function uptime(c: ContainerInfo, now: number): string {
  if (c.running && c.startedAt) return formatDuration(now - c.startedAt.getTime());
  if (c.finishedAt) return `down ${formatDuration(now - c.finishedAt.getTime())}`;
  return '-';
}

export function stateCell(c: ContainerInfo): string {
  if (c.state === 'exited') return `exited (${c.exitCode})${c.oomKilled ? ' OOM' : ''}`;
  return c.state;
}

export function shortState(c: ContainerInfo | undefined, now: number): string {
  if (!c) return '-';
  return `${stateCell(c)}${c.health ? `, ${c.health}` : ''}${c.running ? ` (up ${uptime(c, now)})` : ''}`;
}

export function statusOfContainer(c: ContainerInfo): Status {
  return containerVerdict(c, true).status;
}
