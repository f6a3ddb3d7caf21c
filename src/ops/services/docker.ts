/** Docker behind the ServiceManager interface (for stop/start around a restore): the target's containers on its Docker host. */
import type { ContainerInfo, ContainerSelector, DockerService, LogLine } from '../docker/index.js';
import { describeSelector } from '../docker/index.js';
import type { LogQuery, ServiceManager, ServiceState } from './types.js';

export function stateOfContainer(c: ContainerInfo): ServiceState {
  return {
    name: c.name,
    state: c.health ? `${c.state}, ${c.health}` : c.state,
    running: c.running,
    failed: c.state === 'dead' || (c.state === 'exited' && c.exitCode !== 0),
    ...(c.startedAt && c.running ? { startedAt: c.startedAt } : {}),
    restartCount: c.restartCount,
    ...(c.state === 'exited' ? { detail: `exit code ${c.exitCode}${c.oomKilled ? ', OOM killed' : ''}` } : {}),
  };
}

export class DockerManager implements ServiceManager {
  readonly kind = 'docker' as const;
  readonly name: string;

  constructor(private readonly docker: DockerService, private readonly sel: ContainerSelector, private readonly stopTimeoutMs: number) {
    this.name = describeSelector(sel);
  }

  get host(): string {
    return this.docker.hostOf(this.sel);
  }

  describe(): string {
    return `${describeSelector(this.sel)} on ${this.host}`;
  }

  restartCommand(): string {
    return `docker restart -t ${Math.round(this.stopTimeoutMs / 1000)}`;
  }

  async status(signal?: AbortSignal): Promise<ServiceState[]> {
    return (await this.docker.list(this.sel, signal)).map(stateOfContainer);
  }

  async restart(signal?: AbortSignal): Promise<void> {
    for (const c of await this.docker.list(this.sel, signal)) await this.docker.restart(this.sel, c.id, this.stopTimeoutMs / 1000, signal);
  }

  async stop(signal?: AbortSignal): Promise<void> {
    for (const c of await this.docker.list(this.sel, signal)) await this.docker.stop(this.sel, c.id, this.stopTimeoutMs / 1000, signal);
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const c of await this.docker.list(this.sel, signal)) await this.docker.start(this.sel, c.id, signal);
  }

  async logs(q: LogQuery): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for (const c of await this.docker.list(this.sel, q.signal)) {
      await this.docker.readLogs(this.sel, c, { ...(q.since ? { since: q.since } : {}), tail: q.tail, ...(q.signal ? { signal: q.signal } : {}) }, (l) => lines.push(l));
    }
    return lines;
  }
}
