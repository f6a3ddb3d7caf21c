/**
 * Reading container logs on a real dockerd (started like the integration tests do; needs root):
 * how fast `DockerService.readLogs` streams, demultiplexes, splits and pattern-counts a large
 * log (the `log-count` probe's work), side by side with dockerode's own buffered `logs()` call
 * (no demux, no line split) as the baseline, in the same run. Also: `restart` of a busybox httpd
 * container until healthy, against the bare Docker restart call.
 *
 * `npx tsx bench/docker-logs.ts` — bounded: 5 rounds of each, one 200,000-line log, 3 restarts.
 */
import { freemem } from 'node:os';
import net from 'node:net';
import { DockerService } from '../src/ops/docker/index.js';
import { restartContainers } from '../src/ops/container-restart/index.js';
import { dockerdUnavailable, startDockerd } from '../test/support/docker.js';

const LINES = 200_000;
const ROUNDS = 5;
const RESTARTS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const why = dockerdUnavailable();
  if (why) {
    process.stdout.write(`skipped: ${why}\n`);
    return;
  }
  const d = await startDockerd();
  try {
    const port = await freePort();
    await d.runContainer({
      name: 'bench-logs',
      cmd: ['/bin/sh', '-c', `i=0; while [ $i -lt ${LINES} ]; do if [ $((i % 10)) -eq 0 ]; then echo "ERROR request $i failed" >&2; else echo "GET /api/item/$i 200 3ms"; fi; i=$((i+1)); done; exec sleep 3600`],
    });
    const svc = new DockerService({ defaultHost: d.host, logTimeoutMs: 120_000 });
    const sel = { name: 'bench-logs' };
    // Wait until the whole log is written.
    for (;;) {
      let n = 0;
      const [c] = await svc.list(sel);
      await svc.readLogs(sel, c!, { tail: 1 }, (l) => { if (l.text.includes(`${LINES - 1}`)) n++; });
      if (n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const [info] = await svc.list(sel);
    const container = d.docker.getContainer('bench-logs');

    const base: number[] = [];
    let baseBytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      const buf = await container.logs({ stdout: true, stderr: true, timestamps: true, follow: false }) as unknown as Buffer;
      base.push(performance.now() - t);
      baseBytes = buf.length;
    }
    const ours: number[] = [];
    let counted = 0;
    let lines = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const re = /error/i;
      let c = 0;
      let n = 0;
      const t = performance.now();
      await svc.readLogs(sel, info!, {}, (l) => { n++; if (re.test(l.text)) c++; });
      ours.push(performance.now() - t);
      counted = c;
      lines = n;
    }

    // Restart: the bare API call (stop + start) against restart-and-wait-until-healthy.
    await d.runContainer({
      name: 'bench-web',
      cmd: ['/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www'],
      healthcheck: { test: ['/bin/wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/health`], intervalMs: 200 },
    });
    const web = { name: 'bench-web' };
    const bare: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      let t = performance.now();
      await svc.restart(web, 'bench-web', 2);
      bare.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 1500));
      const before = await svc.list(web);
      t = performance.now();
      const out = await restartContainers(svc, {
        target: 'bench', sel: web, stopTimeoutMs: 2_000, restartTimeoutMs: 30_000, checkTimeoutMs: 2_000, logLines: 5,
        checks: [{ http: { url: `http://127.0.0.1:${port}/health`, method: 'GET', expectStatus: 200 } }],
      }, before, AbortSignal.timeout(60_000));
      full.push(performance.now() - t);
      if (!out.ok) throw new Error(`restart failed: ${out.containers[0]?.reason}`);
    }

    const mb = baseBytes / 1024 / 1024;
    const rows = [
      ['dockerode logs() buffered (baseline)', `${median(base).toFixed(0)} ms`, `${(mb / (median(base) / 1000)).toFixed(1)} MB/s`, '-'],
      ['readLogs: stream + demux + split + count', `${median(ours).toFixed(0)} ms`, `${(mb / (median(ours) / 1000)).toFixed(1)} MB/s`, `${Math.round(lines / (median(ours) / 1000)).toLocaleString('en')} lines/s`],
      ['docker restart API call (baseline)', `${median(bare).toFixed(0)} ms`, '-', '-'],
      ['restart until running, healthy, checks pass', `${median(full).toFixed(0)} ms`, '-', '-'],
    ];
    process.stdout.write(`log: ${LINES.toLocaleString('en')} lines, ${mb.toFixed(1)} MB with timestamps; counted ${counted} ERROR lines of ${lines}; medians of ${ROUNDS} reads, ${RESTARTS} restarts; free memory ${(freemem() / 2 ** 30).toFixed(1)} GiB\n\n`);
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(w[i]!)).join('  ')}\n`);
  } finally {
    await d.stop();
  }
}

await main();
