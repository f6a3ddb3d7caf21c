/**
 * `opsbot reload`: the config file of every bot running on this data folder is validated here
 * first (nothing is sent when it is invalid: exit 78, as `validate-config`); then each process
 * gets SIGHUP and its answer is awaited: applied or refused, per process. Exit 0 only when every
 * process applied it.
 */
import type { Writable } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { liveBots, readStatus, runDir, type ReloadStatus } from './run-files.js';

export interface ReloadCommandOptions {
  dataDir: string;
  /** The problems of a config file (schema and command names), as `validate-config` finds them. */
  validate: (file: string) => Promise<string[]>;
  out: Writable;
  err: Writable;
  timeoutMs: number;
  signal?: (pid: number) => void;
}

export const RELOAD_EXIT = { ok: 0, failed: 1, config: 78 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answerOf(dataDir: string, pid: number, sent: number, until: number): Promise<ReloadStatus | undefined> {
  while (Date.now() < until) {
    const s = await readStatus(dataDir, pid);
    if (s && s.covers >= sent) return s;
    await sleep(50);
  }
  return undefined;
}

export async function reloadCommand(o: ReloadCommandOptions): Promise<number> {
  const { here: bots, elsewhere, notTheirs } = await liveBots(o.dataDir);
  for (const b of notTheirs) {
    o.err.write(`pid ${b.pid}: its pid file is not owned by the user the process runs as, not signalled (${runDir(o.dataDir)})\n`);
  }
  for (const b of elsewhere) {
    o.err.write(`pid ${b.pid}: runs on another host or in another PID namespace (${b.place ?? '?'}), not signalled from here: run opsbot reload there (in its container: docker exec … opsbot reload)\n`);
  }
  if (!bots.length) {
    o.err.write(`opsbot reload: no running opsbot found (no live pid file in ${runDir(o.dataDir)}; set OPSBOT_DATA_DIR to the bot's data folder)\n`);
    return RELOAD_EXIT.failed;
  }
  let invalid = false;
  for (const file of [...new Set(bots.map((b) => b.config))]) {
    const problems = await o.validate(file).catch((e: unknown) => [errorMessage(e)]);
    if (!problems.length) continue;
    invalid = true;
    o.err.write(`Invalid configuration in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  if (invalid) {
    o.err.write('opsbot reload: nothing was sent; the running bots keep their config\n');
    return RELOAD_EXIT.config;
  }
  const signal = o.signal ?? ((pid: number) => process.kill(pid, 'SIGHUP'));
  const sent = Date.now();
  const signalled: number[] = [];
  for (const b of bots) {
    try {
      signal(b.pid);
      signalled.push(b.pid);
    } catch (e) {
      o.err.write(`pid ${b.pid}: could not signal: ${errorMessage(e)}\n`);
    }
  }
  const until = sent + o.timeoutMs;
  const answers = await Promise.all(signalled.map(async (pid) => ({ pid, status: await answerOf(o.dataDir, pid, sent, until) })));
  let code: number = signalled.length === bots.length ? RELOAD_EXIT.ok : RELOAD_EXIT.failed;
  for (const { pid, status } of answers) {
    if (!status) {
      o.err.write(`pid ${pid}: no answer within ${Math.round(o.timeoutMs / 1000)}s (see its log)\n`);
      code = RELOAD_EXIT.failed;
    } else if (status.outcome === 'applied') {
      o.out.write(`pid ${pid}: applied (${status.changed.length ? status.changed.join(', ') : 'no change'})\n`);
    } else {
      o.out.write(`pid ${pid}: refused, its running config stays:\n${status.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      if (code === RELOAD_EXIT.ok) code = RELOAD_EXIT.config;
    }
  }
  return code;
}
