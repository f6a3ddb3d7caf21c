/**
 * A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on loopback, clustering off,
 * its own storage, with one webhook receiver pointing at the bot (short group_wait /
 * group_interval, send_resolved, bearer token), and `amtool` bound to it.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnServer, tmpDir, waitFor, which, type ServerProcess } from './servers.js';

const run = promisify(execFile);

export const ALERTMANAGER_BINARIES = ['prometheus-alertmanager', 'amtool'];

export interface TestAlertmanager {
  url: string;
  port: number;
  process: ServerProcess;
  /** Runs amtool with `--alertmanager.url` set; returns stdout. */
  amtool(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startAlertmanager(opts: {
  webhookUrl: string;
  token?: string;
  groupWait?: string;
  groupInterval?: string;
  groupBy?: string[];
  /** Listen on this port (default: a free one). */
  port?: number;
}): Promise<TestAlertmanager> {
  const bin = which('prometheus-alertmanager') ?? which('alertmanager');
  const amtoolBin = which('amtool');
  if (!bin || !amtoolBin) throw new Error('prometheus-alertmanager / amtool not installed: run `bash scripts/install-test-deps.sh`');
  const tmp = await tmpDir('opsbot-am-');
  const port = opts.port ?? (await freePort());
  const config = [
    'route:',
    '  receiver: opsbot',
    `  group_by: [${(opts.groupBy ?? ['alertname']).join(', ')}]`,
    `  group_wait: ${opts.groupWait ?? '1s'}`,
    `  group_interval: ${opts.groupInterval ?? '2s'}`,
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: opsbot',
    '    webhook_configs:',
    `      - url: ${JSON.stringify(opts.webhookUrl)}`,
    '        send_resolved: true',
    ...(opts.token ? ['        http_config:', '          authorization:', `            credentials: ${JSON.stringify(opts.token)}`] : []),
    '',
  ].join('\n');
  const file = path.join(tmp.dir, 'alertmanager.yml');
  await writeFile(file, config);
  const proc = spawnServer(bin, [
    `--config.file=${file}`,
    `--storage.path=${path.join(tmp.dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 20_000, what: `alertmanager on ${url}` });
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  }
  return {
    url,
    port,
    process: proc,
    async amtool(args) {
      const { stdout } = await run(amtoolBin, [...args, `--alertmanager.url=${url}`], { timeout: 15_000 });
      return stdout;
    },
    async stop() {
      await proc.stop();
      await tmp.cleanup();
    },
  };
}
