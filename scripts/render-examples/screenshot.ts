/**
 * Screenshots of HTML files with headless Chromium (Debian's `chromium`) over the DevTools
 * protocol: one browser, one page, each file loaded and the #shot element captured at 2x.
 * No browser library: Chromium's own --remote-debugging-port and the `ws` client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--remote-debugging-port=0'];

interface Pending { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }

class Cdp {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Map<string, () => void>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString('utf8')) as { id?: number; method?: string; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        this.waiters.get(msg.method)?.();
        this.waiters.delete(msg.method);
      }
    });
  }
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  once(method: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} not seen in ${timeoutMs}ms`)), timeoutMs);
      this.waiters.set(method, () => { clearTimeout(timer); resolve(); });
    });
  }
}

function devtoolsUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start in ${timeoutMs}ms: ${seen.slice(-500)}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString('utf8');
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}) before listening: ${seen.slice(-500)}`)); });
  });
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** PNG screenshots of the #shot element of each HTML file, in order. */
export async function screenshotAll(htmlFiles: readonly string[], chromium = '/usr/bin/chromium'): Promise<Buffer[]> {
  const profile = mkdtempSync(path.join(tmpdir(), 'opsbot-chromium-'));
  const child = spawn(chromium, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const browserUrl = await devtoolsUrl(child, 30_000);
    const browser = new Cdp(await connect(browserUrl));
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const pageWs = await connect(browserUrl.replace(/\/devtools\/browser\/.*/, `/devtools/page/${targetId}`));
    const page = new Cdp(pageWs);
    await page.send('Page.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width: 760, height: 400, deviceScaleFactor: 2, mobile: false });
    const shots: Buffer[] = [];
    for (const file of htmlFiles) {
      const loaded = page.once('Page.loadEventFired', 15_000);
      await page.send('Page.navigate', { url: pathToFileURL(file).href });
      await loaded;
      await page.send('Runtime.evaluate', { expression: 'document.fonts.ready', awaitPromise: true });
      const box = await page.send('Runtime.evaluate', { expression: 'JSON.stringify(document.getElementById("shot").getBoundingClientRect())', returnByValue: true }) as { result: { value: string } };
      const r = JSON.parse(box.result.value) as { x: number; y: number; width: number; height: number };
      const shot = await page.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: r.x, y: r.y, width: Math.ceil(r.width), height: Math.ceil(r.height), scale: 1 } }) as { data: string };
      shots.push(Buffer.from(shot.data, 'base64'));
    }
    pageWs.close();
    return shots;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => { if (child.exitCode !== null) resolve(undefined); else child.once('exit', resolve); });
    rmSync(profile, { recursive: true, force: true });
  }
}
