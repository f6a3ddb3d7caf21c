/** pino JSON logs on stderr (pretty on a terminal), with secret paths and values redacted. */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Redactor } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  redactor: Redactor;
  /** Pretty-print (defaults to: stderr is a terminal). */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  return pino(
    {
      level: opts.level,
      base: { app: 'opsbot' },
      redact: {
        paths: ['*.token', '*.password', '*.secret', '*.authorization', 'req.headers.authorization', 'req.headers["x-slack-signature"]', '*.headers.authorization'],
        censor: '[redacted]',
      },
      hooks: {
        // Secret values that slip into a message or a string field are masked as well.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? opts.redactor.text(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log: (obj) => opts.redactor.value(obj),
      },
    },
    // Silent (the offline bot a reload or validate-config builds): nothing opened, no pretty worker thread per reload.
    opts.destination ?? (opts.level === 'silent'
      ? { write: () => undefined }
      : pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' } })
      : pino.destination({ dest: 2, sync: false })),
  );
}

/** The part of pino's stderr destination (sonic-boom) that says whether a write is still in flight. */
interface Destination {
  _writing?: boolean;
  once?(event: 'drain' | 'error', listener: () => void): unknown;
  off?(event: 'drain' | 'error', listener: () => void): unknown;
}

/**
 * Waits until the log line being written has left the process or its write failed (at most
 * `withinMs`). Call it before `process.exit`: pino's exit hook writes what is still buffered
 * synchronously and retries a failed write for ever, so a log reader that went away (`| tee`
 * stopped by the same Ctrl-C: EPIPE) would hang the exit. Once the failed write has come back,
 * pino stops writing to the broken pipe and the exit goes through.
 */
export function flushLog(log: Logger, withinMs = 2_000): Promise<void> {
  const dest = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as Destination | undefined;
  if (!dest?._writing || !dest.once || !dest.off) return Promise.resolve();
  const { once, off } = { once: dest.once.bind(dest), off: dest.off.bind(dest) };
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off('drain', done);
      off('error', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    timer.unref();
    once('drain', done);
    once('error', done);
  });
}
