/**
 * Docker over SSH: an HTTP agent whose every connection is `docker system dial-stdio` started on
 * a configured SSH host (the host's pinned key, user and private key; see ops/hosts), which
 * relays the Docker API of that host's daemon over its stdin and stdout — what the docker CLI's
 * own `ssh://` hosts do. The daemon is the remote docker CLI's default, or `remoteDockerHost`
 * (`docker --host <it> system dial-stdio`).
 */
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HostTunnel } from '../hosts/index.js';

/** The remote command that relays the Docker API. */
export function dialStdioCommand(remoteDockerHost: string | undefined): string[] {
  return ['docker', ...(remoteDockerHost ? ['--host', remoteDockerHost] : []), 'system', 'dial-stdio'];
}

type Callback = (err: Error | null, socket?: Duplex) => void;

export function sshDockerAgent(tunnel: HostTunnel, remoteDockerHost: string | undefined, connectTimeoutMs: number): Agent {
  const agent = new Agent({ keepAlive: false });
  const argv = dialStdioCommand(remoteDockerHost);
  // Node's Agent accepts a socket given to this callback later: the SSH handshake runs first.
  (agent as unknown as { createConnection: (o: unknown, cb: Callback) => undefined }).createConnection = (_options, cb) => {
    tunnel.channel(argv, { timeoutMs: connectTimeoutMs }).then((s) => cb(null, s), (e: Error) => cb(e));
    return undefined;
  };
  return agent;
}
