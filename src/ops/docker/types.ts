/** What the Docker code speaks of: which containers (a selector), what one looks like, its log lines. */
export interface ContainerSelector {
  name?: string | undefined;
  service?: string | undefined;
  project?: string | undefined;
  /** Overrides the default host (DOCKER_HOST); with `host`, the daemon's address on that host. */
  dockerHost?: string | undefined;
  /** A host of `hosts:`: its Docker, reached over SSH (`docker system dial-stdio` there). */
  host?: string | undefined;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  service?: string;
  /** Docker's state word: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  running: boolean;
  /** healthy | unhealthy | starting, when the image or container has a HEALTHCHECK. */
  health?: string;
  /** Output of the last failed health probe, when unhealthy. */
  healthOutput?: string;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode: number;
  /** Restarts done by Docker's restart policy (a manual `docker restart` does not count). */
  restartCount: number;
  restartPolicy: string;
  oomKilled: boolean;
  error?: string;
  tty: boolean;
}

export interface LogLine {
  container: string;
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch, from Docker's timestamp (NaN if Docker gave none). */
  time: number;
  text: string;
}

export interface LogQuery {
  /** Only lines at or after this time. */
  since?: Date;
  /** Only the last N lines of each container (Docker's `tail`). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
  /** Stop reading after this many bytes (default 64 MiB). */
  maxBytes?: number;
  timeoutMs?: number;
}

export function describeSelector(sel: ContainerSelector): string {
  if (sel.name) return `container ${sel.name.replace(/^\//, '')}`;
  return `compose service ${sel.service}${sel.project ? ` of project ${sel.project}` : ''}`;
}
