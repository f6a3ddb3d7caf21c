/** A throwaway redis-server on a loopback port, no persistence. */
import { freePort, spawnServer, tcpOpen, waitFor, which, type ServerProcess } from './servers.js';

export interface RedisServer {
  port: number;
  url: string;
  process: ServerProcess;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const bin = which('redis-server');
  if (!bin) throw new Error('redis-server not installed');
  const port = await freePort();
  const proc = spawnServer(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no']);
  await waitFor(() => tcpOpen(port), { what: `redis-server on ${port}`, timeoutMs: 10_000 }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  });
  return { port, url: `redis://127.0.0.1:${port}`, process: proc, stop: () => proc.stop() };
}
