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
    opts.destination ?? (pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' } })
      : pino.destination({ dest: 2, sync: false })),
  );
}
