/**
 * A long-lived remote command as a byte stream: its stdin and stdout as one duplex, over an SSH
 * connection of its own (pinned host key, the host's user and key, as every command). Docker over
 * SSH speaks HTTP through such a stream to `docker system dial-stdio`. The connection closes with
 * the stream; a command that exits with an error before producing output makes the stream fail
 * with its exit code and stderr.
 */
import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type * as Ssh2Driver from 'ssh2';
import { lazyRequire } from '../../core/lazy-require.js';
import { commandLine } from './quote.js';
import { SshError, sshConnectConfig, sshFailure, type Refusal, type SshTarget } from './ssh-connect.js';

const ssh2 = lazyRequire<typeof Ssh2Driver>('ssh2');

export interface ChannelOptions {
  /** Longest the connection and the start of the command may take. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Opens remote commands as streams (an SSH host; see HostExec for commands that finish). */
export interface HostTunnel {
  /** The configured host name. */
  readonly host: string;
  /** How the host is reached, for --dry-run text. */
  readonly describe: string;
  /** Starts `argv` on the host; its stdin and stdout as a duplex stream, which ends the connection when it closes. */
  channel(argv: readonly string[], opts: ChannelOptions): Promise<Duplex>;
}

const STDERR_KEPT = 4096;

export function openSshChannel(t: SshTarget, argv: readonly string[], opts: ChannelOptions): Promise<Duplex> {
  const line = commandLine(argv);
  return new Promise((resolve, reject) => {
    const conn = new (ssh2().Client)();
    const refusal: Refusal = {};
    let settled = false;
    const timer = setTimeout(() => fail(new SshError(`ssh ${t.name}: ${argv[0]} did not start within ${Math.round(opts.timeoutMs / 1000)}s`, 'timeout')), opts.timeoutMs);
    const onAbort = () => fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    function fail(e: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.end();
      reject(e);
    }
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    conn.on('ready', () => {
      conn.exec(line, (e, stream) => {
        if (e) return fail(new SshError(`ssh ${t.name}: could not start ${argv[0]}: ${e.message}`, 'connect'));
        if (settled) { stream.close(); return; }
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        stream.once('close', () => conn.end());
        resolve(relay(stream, `${argv[0]} on ${t.name}`));
      });
    });
    conn.on('error', (e: Error & { level?: string }) => fail(sshFailure(t, e, refusal)));
    conn.on('close', () => fail(new SshError(refusal.text ?? `ssh ${t.name}: the connection to ${t.address}:${t.port} closed before ${argv[0]} started`, refusal.text ? 'host-key' : 'connect')));
    try {
      conn.connect(sshConnectConfig(t, refusal));
    } catch (e) {
      fail(new SshError(`ssh ${t.name}: ${(e as Error).message}`, 'connect'));
    }
  });
}

/**
 * The channel as a plain duplex whose end waits for the command's exit status: a command that
 * exits non-zero without any output (docker not installed, no daemon) fails the stream with its
 * exit code and stderr, instead of a bare end of stream ("socket hang up").
 */
function relay(ch: ClientChannel, what: string): Duplex {
  let stderr = '';
  let output = false;
  let ended = false;
  let exit: { code: number | null } | undefined;
  const settle = () => {
    if (!ended || !exit) return;
    if (!output && exit.code !== 0) {
      const why = stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 500);
      duplex.destroy(new Error(`${what} exited with ${exit.code ?? 'a signal'}${why ? `: ${why}` : ''}`));
    } else {
      duplex.push(null);
    }
  };
  const duplex = new Duplex({
    read() { ch.resume(); },
    write(chunk: Buffer, _enc, cb) { ch.write(chunk, cb); },
    final(cb) { ch.end(); cb(); },
    destroy(err, cb) { ch.destroy(); cb(err); },
  });
  ch.stderr.on('data', (d: Buffer) => { if (stderr.length < STDERR_KEPT) stderr += d.toString('utf8'); });
  ch.on('data', (d: Buffer) => {
    output = true;
    if (!duplex.push(d)) ch.pause();
  });
  ch.on('exit', (code: number | null) => { exit = { code: typeof code === 'number' ? code : null }; settle(); });
  ch.on('end', () => { ended = true; settle(); });
  ch.on('close', () => {
    // No exit status (killed, or the connection dropped): end what was read.
    ended = true;
    exit ??= { code: output ? 0 : null };
    settle();
  });
  ch.on('error', (e: Error) => duplex.destroy(e));
  // The HTTP client listens while a request is open; this keeps a late failure from crashing the process.
  duplex.on('error', () => undefined);
  return duplex;
}
