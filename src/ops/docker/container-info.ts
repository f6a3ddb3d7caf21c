/** Docker's inspect JSON → the fields a person reads in `docker-compose ps`. */
import type Docker from 'dockerode';
import type { ContainerInfo } from './types.js';

export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_PROJECT = 'com.docker.compose.project';

function parseTime(s: string | undefined): Date | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Docker's inspect JSON → the fields a person reads in `docker-compose ps`. */
export function toContainerInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
  const st = i.State;
  const health = st.Health?.Status && st.Health.Status !== 'none' ? st.Health.Status : undefined;
  const lastProbe = st.Health?.Log?.[st.Health.Log.length - 1];
  const info: ContainerInfo = {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image,
    state: st.Status,
    // A paused container reports Running too: it serves nothing, so it is not running here.
    running: st.Running && !st.Restarting && !st.Paused,
    exitCode: st.ExitCode,
    restartCount: i.RestartCount ?? 0,
    restartPolicy: i.HostConfig?.RestartPolicy?.Name || 'no',
    oomKilled: st.OOMKilled,
    tty: Boolean(i.Config?.Tty),
  };
  const service = i.Config?.Labels?.[COMPOSE_SERVICE];
  if (service) info.service = service;
  if (health) info.health = health;
  if (health === 'unhealthy' && lastProbe?.Output) info.healthOutput = lastProbe.Output.trim().slice(0, 500);
  const startedAt = parseTime(st.StartedAt);
  if (startedAt) info.startedAt = startedAt;
  const finishedAt = parseTime(st.FinishedAt);
  if (finishedAt) info.finishedAt = finishedAt;
  if (st.Error) info.error = st.Error;
  return info;
}
