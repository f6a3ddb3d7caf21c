/** From a Docker host URL (DOCKER_HOST, a target's dockerHost) to dockerode's connection options. */
import type Docker from 'dockerode';
import { UserError } from '../../core/errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** dockerode options for a host URL, with every env-derived default overridden (docker-modem reads DOCKER_* itself otherwise). */
export function connectionOptions(host: string): Docker.DockerOptions {
  const base: Docker.DockerOptions = { host: undefined, port: undefined, socketPath: undefined, protocol: 'http', ca: undefined, cert: undefined, key: undefined } as unknown as Docker.DockerOptions;
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new UserError('invalid', `DOCKER_HOST "${host}": a unix socket needs an absolute path (unix:///var/run/docker.sock)`);
    return { ...base, socketPath };
  }
  const m = /^(?:tcp|http):\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(host);
  if (m) return { ...base, host: m[1] as string, port: Number(m[2]), protocol: 'http' };
  throw new UserError('invalid', `Unsupported Docker host "${host}": use unix:///path/to/docker.sock or tcp://host:port`);
}
