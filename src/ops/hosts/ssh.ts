/**
 * Commands on a remote host over SSH (the `ssh2` library): the server's host key must be the
 * pinned one, the client authenticates with a private key (from a file or an environment
 * variable, read at the composition root), and each command is its argv joined with POSIX
 * single quotes, so every argument reaches the remote program as one literal word. A command
 * that runs past its timeout is sent KILL and its connection closed. Nothing secret is ever part
 * of a command line.
 */
import type * as Ssh2Driver from 'ssh2';
import { lazyRequire } from '../../core/lazy-require.js';
import { commandLine } from './quote.js';
import { DEFAULT_MAX_BYTES, type ExecOptions, type ExecResult, type HostExec, type StreamOptions } from './exec.js';
import { SshError, sshConnectConfig, sshFailure, type Refusal, type SshTarget } from './ssh-connect.js';

export { SshError, type SshTarget } from './ssh-connect.js';

const ssh2 = lazyRequire<typeof Ssh2Driver>('ssh2');

export class SshExec implements HostExec {
  readonly host: string;
  readonly describe: string;

  constructor(private readonly t: SshTarget) {
    this.host = t.name;
    this.describe = `ssh ${t.user}@${t.address}:${t.port}`;
  }

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return this.run(argv, opts);
  }

  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecResult> {
    return this.run(argv, opts, opts);
  }

  private run(argv: readonly string[], opts: ExecOptions, io?: StreamOptions): Promise<ExecResult> {
    const line = commandLine(argv);
    const { t } = this;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    return new Promise((resolve, reject) => {
      const conn = new (ssh2().Client)();
      const refusal: Refusal = {};
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        conn.end();
        fn();
      };
      const onAbort = () => finish(() => reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted')));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let truncated = false;
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

      conn.on('ready', () => {
        conn.exec(line, (e, stream) => {
          if (e) return finish(() => reject(new SshError(`ssh ${t.name}: could not start the command: ${e.message}`, 'connect')));
          timer = setTimeout(() => {
            try {
              stream.signal('KILL');
            } catch { /* the server may not support signals; the connection is closed below */ }
            finish(() => resolve({ code: null, stdout: text(out), stderr: text(err), timedOut: true, truncated }));
          }, opts.timeoutMs);
          if (io?.stdin) {
            io.stdin.on('error', (se: Error) => finish(() => reject(se)));
            io.stdin.pipe(stream);
          }
          stream.on('data', (d: Buffer) => {
            if (io) {
              // Backpressure: the channel's window stops the remote writer while the file catches up.
              if (!io.stdout.write(d)) { stream.pause(); io.stdout.once('drain', () => stream.resume()); }
              return;
            }
            if (outBytes + d.length > maxBytes) truncated = true;
            else { out.push(d); outBytes += d.length; }
          });
          stream.stderr.on('data', (d: Buffer) => {
            if (errBytes + d.length > maxBytes) truncated = true;
            else { err.push(d); errBytes += d.length; }
          });
          stream.on('close', (code: number | null) => {
            finish(() => resolve({ code: typeof code === 'number' ? code : null, stdout: text(out), stderr: text(err), timedOut: false, truncated }));
          });
        });
      });
      conn.on('error', (e: Error & { level?: string }) => finish(() => reject(sshFailure(t, e, refusal))));
      conn.on('close', () => finish(() => reject(new SshError(refusal.text ?? `ssh ${t.name}: the connection to ${t.address}:${t.port} closed before the command finished`, refusal.text ? 'host-key' : 'connect'))));

      const config = sshConnectConfig(t, refusal);
      try {
        conn.connect(config);
      } catch (e) {
        finish(() => reject(new SshError(`ssh ${t.name}: ${(e as Error).message}`, 'connect')));
      }
    });
  }
}
