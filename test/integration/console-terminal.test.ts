/**
 * The console on a real terminal (a pty from util-linux `script`): one Ctrl-C stops the bot
 * gracefully, the banner says so, and INFO logs do not bury the prompt.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describeWithServers, freePort, tcpOpen, tmpDir, waitFor } from '../support/servers.js';

const ansi = /\x1b\[[0-9;?]*[A-Za-z]/g; // eslint-disable-line no-control-regex

interface Terminal { child: ChildProcess; screen(): string; type(text: string): void; exited: Promise<number | null> }

/** `opsbot start` on a pty; what a user would see and type. */
function onTerminal(env: Record<string, string>): Terminal {
  const cmd = `exec '${process.execPath}' --import tsx src/cli.ts start`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, screen: () => out.replace(ansi, ''), type: (t) => child.stdin?.write(t), exited };
}

describeWithServers(['script'], 'console on a terminal', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
  afterAll(async () => { await cleanup(); });

  it('given the default config on a terminal, when the user types a command and presses Ctrl-C once, then the bot stops gracefully (exit 0) and no INFO log was printed', async () => {
    const port = await freePort();
    const term = onTerminal({ PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data') });
    try {
      await waitFor(() => term.screen().includes('opsbot> '), { what: 'the prompt', timeoutMs: 30_000 }).catch((e) => { throw new Error(`${(e as Error).message}\n${term.screen()}`); });
      expect(term.screen()).toContain('Ctrl-C stops the bot (twice: at once)');
      expect(term.screen()).toContain('(logs: warnings and errors only on this terminal; LOG_LEVEL=info shows all)');
      await waitFor(() => tcpOpen(port), { what: 'HTTP port' });
      term.type('health self\r');
      await waitFor(() => /memory\s+ok[^\n]*\n[\s\S]*opsbot> /.test(term.screen()), { what: 'the health reply and the next prompt', timeoutMs: 20_000 }).catch((e) => { throw new Error(`${(e as Error).message}\n${term.screen()}`); });
      term.type('\x03');
      expect(await term.exited).toBe(0);
      expect(term.screen()).toContain('opsbot: stopping');
      expect(term.screen()).not.toMatch(/\bINFO\b/);
      expect(await tcpOpen(port)).toBe(false);
    } finally {
      term.child.kill('SIGKILL');
    }
  }, 60_000);

  it('given a command still running, when Ctrl-C is pressed twice, then the first waits for it and the second stops at once (exit 130)', async () => {
    // An HTTP server that accepts and never answers: the health check runs until its 30s timeout.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const config = path.join(dir, 'slow.yaml');
    await writeFile(config, `bot: { shutdownTimeout: 30s, commandTimeout: 60s }
targets:
  slow:
    health:
      - name: never answers
        timeout: 30s
        http: { url: "http://127.0.0.1:${silentPort}/" }
`);
    const port = await freePort();
    const term = onTerminal({ PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data3'), OPSBOT_CONFIG: config });
    try {
      await waitFor(() => term.screen().includes('opsbot> '), { what: 'the prompt', timeoutMs: 30_000 });
      term.type('health slow\r');
      await waitFor(() => sockets.length > 0, { what: 'the check to connect' });
      term.type('\x03');
      await waitFor(() => term.screen().includes('opsbot: stopping'), { what: 'the stopping notice' });
      await new Promise((r) => setTimeout(r, 500));
      expect(term.child.exitCode).toBeNull();
      term.type('\x03');
      expect(await term.exited).toBe(130);
      expect(term.screen()).toContain('SIGINT again, stopping now without waiting');
    } finally {
      term.child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 60_000);

  it('given LOG_LEVEL=info on a terminal, then INFO logs are shown as asked', async () => {
    const port = await freePort();
    const term = onTerminal({ PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data2'), LOG_LEVEL: 'info' });
    try {
      await waitFor(() => /INFO[\s\S]*opsbot started/.test(term.screen()), { what: 'the start-up log', timeoutMs: 30_000 }).catch((e) => { throw new Error(`${(e as Error).message}\n${term.screen()}`); });
      expect(term.screen()).not.toContain('(logs: warnings and errors only');
      term.type('\x03');
      expect(await term.exited).toBe(0);
    } finally {
      term.child.kill('SIGKILL');
    }
  }, 60_000);
});
