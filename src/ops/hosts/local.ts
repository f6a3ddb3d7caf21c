/** Commands on the bot's own host: `execFile` with an argument array, a timeout and bounded output. */
import { execFile, spawn } from 'node:child_process';
import { DEFAULT_MAX_BYTES, type ExecOptions, type ExecResult, type HostExec, type StreamOptions } from './exec.js';

export class LocalExec implements HostExec {
  readonly host = 'local';
  readonly describe = 'this host';

  /** `env`: the environment of every command (the composition root passes the bot's own, with its PATH). */
  constructor(private readonly env?: NodeJS.ProcessEnv) {}

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new Error('An empty command'));
    const maxBuffer = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    return new Promise((resolve, reject) => {
      execFile(file, args, {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer,
        encoding: 'utf8',
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(this.env ? { env: this.env } : {}),
      }, (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr, timedOut: false, truncated: false });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') return reject(Object.assign(new Error(`${file} is not installed on this host (not found on PATH)`), { code: 'ENOENT' }));
        if (e.name === 'AbortError') return reject(e);
        const truncated = e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        const timedOut = !truncated && e.killed === true && e.signal === 'SIGKILL';
        resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr, timedOut, truncated });
      });
    });
  }

  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new Error('An empty command'));
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(this.env ? { env: this.env } : {}),
      });
      let timedOut = false;
      let truncated = false;
      const err: Buffer[] = [];
      let errBytes = 0;
      const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
      const { stdout, stderr } = child as unknown as { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream };
      stdout.pipe(opts.stdout, { end: false });
      stderr.on('data', (d: Buffer) => {
        if (errBytes + d.length > maxBytes) truncated = true;
        else { err.push(d); errBytes += d.length; }
      });
      if (opts.stdin && child.stdin) {
        child.stdin.on('error', () => { /* the command exited before reading all of stdin: its exit code says why */ });
        opts.stdin.pipe(child.stdin);
      }
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT') reject(Object.assign(new Error(`${file} is not installed on this host (not found on PATH)`), { code: 'ENOENT' }));
        else reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        stdout.unpipe(opts.stdout);
        resolve({ code: timedOut ? null : code, stdout: '', stderr: Buffer.concat(err).toString('utf8'), timedOut, truncated });
      });
    });
  }
}
