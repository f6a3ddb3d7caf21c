/**
 * POSIX shell quoting for the one place a command becomes a string: the command line an SSH
 * server hands to the remote user's shell. Every argument is wrapped in single quotes (inside
 * which a POSIX shell interprets nothing) and each single quote in it becomes `'\''`.
 */

/** One argument as a single-quoted POSIX shell word. NUL cannot be passed to a process at all: refused. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('An argument contains a NUL byte; it cannot be passed to a remote command');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argument vector as one command line for a POSIX shell: each argument stays one word, taken literally. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('An empty command');
  return argv.map(shellQuote).join(' ');
}
