/**
 * Environment variables for a command on an SSH host without putting them on its command line
 * (visible in `ps` there) or relying on the server's `AcceptEnv`: the values go down the
 * command's stdin, one line each, where a fixed `sh` script reads them with the `read` builtin,
 * exports them and execs the command. The names are arguments of the script; its stdin after
 * those lines (an upload, when there is one) is left to the command.
 */
import { Readable } from 'node:stream';
import { UserError } from '../../../core/errors.js';

const READ_ENV = 'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do IFS= read -r _v || exit 97; export "$1=$_v"; shift; done; shift; exec "$@"';
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

export interface EnvCommand {
  argv: string[];
  /** The values, a line each, then `rest` when given. */
  stdin: Readable;
}

/** `argv` run with `env` added to its environment, the values read from stdin. */
export function withEnvOnStdin(env: Record<string, string>, argv: readonly string[], rest?: Readable): EnvCommand {
  const names = Object.keys(env);
  for (const n of names) {
    if (!ENV_NAME.test(n)) throw new UserError('invalid', `Not an environment variable name: ${n}`);
    const v = env[n] as string;
    if (v.includes('\n') || v.includes('\0')) throw new UserError('invalid', `${n} contains a line break or NUL byte; it cannot be passed to a command on an SSH host`);
  }
  const head = names.map((n) => `${env[n]}\n`).join('');
  async function* lines(): AsyncGenerator<Buffer> {
    yield Buffer.from(head, 'utf8');
    if (rest) for await (const chunk of rest) yield chunk as Buffer;
  }
  return { argv: ['sh', '-c', READ_ENV, 'sh', ...names, '--', ...argv], stdin: Readable.from(lines(), { objectMode: false }) };
}
