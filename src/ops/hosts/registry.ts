/**
 * `Hosts`: where a service's commands run — the bot's own host, or a configured SSH host. A
 * host's private key file is read on first use; a host whose secret is missing fails each of
 * its commands with that reason (never a start-up crash of the whole bot).
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { SshHostConfig } from '../../config/services-schema.js';
import type { HostSecrets } from '../../config/host-secrets.js';
import { UserError } from '../../core/errors.js';
import type { ExecOptions, ExecResult, HostExec, StreamOptions } from './exec.js';
import { parsePinnedKey } from './host-key.js';
import { LocalExec } from './local.js';
import { SshExec } from './ssh.js';
import { openSshChannel, type ChannelOptions, type HostTunnel } from './ssh-channel.js';
import type { SshTarget } from './ssh-connect.js';

/** An SSH host whose connection details are resolved (key read) on its first command. */
class LazySshExec implements HostExec, HostTunnel {
  readonly describe: string;
  private ready: Promise<SshTarget> | undefined;

  constructor(readonly host: string, private readonly cfg: SshHostConfig, private readonly secrets: HostSecrets) {
    this.describe = `ssh ${cfg.user}@${cfg.address}:${cfg.port}`;
  }

  private open(): Promise<SshTarget> {
    this.ready ??= (async () => {
      if (this.secrets.missing) throw new UserError('unavailable', `SSH host ${this.host}: ${this.secrets.missing}`);
      let privateKey: string | Buffer | undefined = this.secrets.privateKey;
      if (this.cfg.privateKeyFile) {
        try {
          privateKey = await readFile(this.cfg.privateKeyFile);
        } catch (e) {
          throw new UserError('unavailable', `SSH host ${this.host}: cannot read its private key file ${this.cfg.privateKeyFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
      }
      return {
        name: this.host,
        address: this.cfg.address,
        port: this.cfg.port,
        user: this.cfg.user,
        privateKey: privateKey as string | Buffer,
        passphrase: this.secrets.passphrase,
        pinned: this.cfg.hostKey ? parsePinnedKey(this.cfg.hostKey) : undefined,
        connectTimeoutMs: this.cfg.connectTimeout,
      };
    })();
    this.ready.catch(() => { this.ready = undefined; });
    return this.ready;
  }

  async exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return new SshExec(await this.open()).exec(argv, opts);
  }

  async stream(argv: readonly string[], opts: StreamOptions): Promise<ExecResult> {
    return new SshExec(await this.open()).stream(argv, opts);
  }

  async channel(argv: readonly string[], opts: ChannelOptions): Promise<Duplex> {
    return openSshChannel(await this.open(), argv, opts);
  }
}

export class Hosts {
  private readonly remote = new Map<string, LazySshExec>();

  constructor(readonly local: HostExec, hosts: Record<string, SshHostConfig> = {}, secrets: Record<string, HostSecrets> = {}) {
    for (const [name, cfg] of Object.entries(hosts)) this.remote.set(name, new LazySshExec(name, cfg, secrets[name] ?? {}));
  }

  static localOnly(env?: NodeJS.ProcessEnv): Hosts {
    return new Hosts(new LocalExec(env));
  }

  /** A configured SSH host, for remote commands as streams (Docker's dial-stdio). */
  tunnel(name: string): HostTunnel {
    const h = this.remote.get(name);
    if (!h) throw new UserError('invalid', `Unknown host "${name}" (hosts: ${[...this.remote.keys()].join(', ') || 'none'})`);
    return h;
  }

  /** The host's commands; the bot's own host when no name is given. */
  get(name: string | undefined): HostExec {
    if (name === undefined) return this.local;
    const h = this.remote.get(name);
    if (!h) throw new UserError('invalid', `Unknown host "${name}" (hosts: ${[...this.remote.keys()].join(', ') || 'none'})`);
    return h;
  }
}
