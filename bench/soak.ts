/**
 * Soak test (not in CI): mixed load against a real `opsbot start` process for a while, with
 * restarts, and a report of what was lost and how memory behaved.
 *
 * Load: Alertmanager webhooks (a pool of groups across four Slack channels; new groups, updates,
 * resolves, re-fires, duplicates), signed `/ops` slash commands and button presses through the Slack
 * protocol stand-in (test/support/slack.ts), bursts of 429 (Retry-After 1 s) from the stand-in's
 * chat.postMessage/chat.update, and every `--restart-every` minutes a restart: SIGTERM + start,
 * and every second one kill -9 + start.
 *
 * At the end (after the load stops and the bot settles): lost = accepted notifications whose group
 * is not in the store with the notification's last status, plus groups never named in chat.
 * Memory: VmRSS of the bot process sampled every 5 s.
 *
 * Usage: node --import tsx bench/soak.ts [--minutes 30] [--restart-every 5] [--rate 20]
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, tmpDir, waitFor } from '../test/support/host.js';
import { slackEnv, startSlackStandIn } from '../test/support/slack.js';
import { hosts, payload } from '../test/support/alert-payloads.js';
import { EmbeddedStore } from '../src/core/store/index.js';
import { summary } from './summary.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const MINUTES = arg('minutes', 30);
const RESTART_EVERY_MIN = arg('restart-every', Math.min(5, Math.max(0.5, MINUTES / 3)));
const WEBHOOKS_PER_S = arg('rate', 20);
const POOL = arg('groups', 600);
const TOKEN = 'soak-webhook-token-0123456789';
const CHANNELS = ['C0SOAK0', 'C0SOAK1', 'C0SOAK2', 'C0SOAK3'];

const CONFIG = `
alerting:
  defaultChannel: slack:${CHANNELS[0]}
  rate: { messages: 200, per: 1s }
  storm: { threshold: 5000, window: 1m }
  routes:
${CHANNELS.map((c, i) => `    - matchers: ['team="t${i}"']\n      channels: [slack:${c}]`).join('\n')}
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    slack:U0SOAK: [admin]
`;

/** `opsbot start` as its own process (through tsx, like test/support/process.ts, which needs jest). */
interface RunningBot { child: ChildProcess; stderr(): string; stop(signal: NodeJS.Signals): Promise<number | null> }
function startBotProcess(args: string[], env: Record<string, string>): RunningBot {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-20_000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    stderr: () => err,
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const name = (i: number) => `SoakG${String(i).padStart(6, '0')}`;

interface GroupState { alertname: string; team: string; last?: 'firing' | 'resolved'; lastBody?: string; busy: boolean; sent: number }

async function main(): Promise<void> {
  const slack = await startSlackStandIn();
  const { dir, cleanup } = await tmpDir('opsbot-soak-');
  const configFile = path.join(dir, 'soak.yaml');
  await writeFile(configFile, CONFIG);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...slackEnv(slack), PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, WEBHOOK_TOKEN: TOKEN, LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? 'warn' };

  let bot: RunningBot | undefined;
  let lives = 0;
  const rss: { t: number; life: number; kib: number }[] = [];
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;

  async function start(): Promise<void> {
    const b = startBotProcess(['start'], env);
    await waitFor(async () => {
      if (b.child.exitCode !== null) throw new Error(`bot exited ${b.child.exitCode}: ${b.stderr().slice(-2000)}`);
      const r = await fetch(`${base}/readyz`).catch(() => undefined);
      return r?.status === 200;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'readyz 200' });
    bot = b;
    lives++;
  }
  async function sampleRss(): Promise<void> {
    const pid = bot?.child.pid;
    if (!pid || bot?.child.exitCode !== null) return;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m) rss.push({ t: elapsed(), life: lives, kib: Number(m[1]) });
  }

  const counts = { webhooksSent: 0, accepted: 0, duplicate: 0, repeatsAnsweredAccepted: 0, refused: 0, connErrors: 0, http5xx: 0, slash: 0, slashOk: 0, slashSlow: 0, presses: 0, pressOk: 0, injected429: 0, restarts: 0, kills: 0, sigtermNotZero: 0 };
  const slashMs: number[] = [];
  const groups: GroupState[] = Array.from({ length: POOL }, (_, i) => ({ alertname: name(i), team: `t${i % CHANNELS.length}`, busy: false, sent: 0 }));

  async function webhook(): Promise<void> {
    const g = groups[Math.floor(Math.random() * groups.length)] as GroupState;
    if (g.busy) return; // one notification in flight per group: the last accepted status is the truth
    g.busy = true;
    try {
      // Now and then the same notification again (an HA peer, a retry). The in-memory fast path answers
    // `duplicate` only for what this process saw; across a restart it answers `accepted` and the
    // processor drops it against the group's applied hashes (the status check below covers that).
      const repeat = g.lastBody !== undefined && Math.random() < 0.05;
      const resolve = g.last === 'firing' && Math.random() < 0.25;
      const n = 1 + (g.sent % 4);
      // Every new notification differs (a re-fire after a resolve starts later, as Alertmanager's would).
      const startsAt = new Date(Date.UTC(2026, 10, 24, 9) + g.sent * 60_000).toISOString();
      const body = repeat ? g.lastBody as string : JSON.stringify(payload({
        alertname: g.alertname,
        commonLabels: { team: g.team },
        alerts: hosts(n, resolve ? { status: 'resolved', startsAt } : { startsAt }),
      }));
      counts.webhooksSent++;
      const res = await fetch(`${base}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body, signal: AbortSignal.timeout(10_000) });
      const out = (await res.json().catch(() => ({}))) as { status?: string };
      if (res.status >= 500) counts.http5xx++;
      if (res.status === 200 && (out.status === 'accepted' || out.status === 'duplicate')) {
        counts[out.status]++;
        if (repeat && out.status !== 'duplicate') counts.repeatsAnsweredAccepted++;
        if (!repeat && out.status === 'accepted') {
          g.last = resolve ? 'resolved' : 'firing';
          g.lastBody = body;
          g.sent++;
        }
      } else counts.refused++;
    } catch {
      counts.connErrors++; // the bot is restarting: Alertmanager would retry; not accepted, not counted
    } finally {
      g.busy = false;
    }
  }

  async function slashCommand(): Promise<void> {
    counts.slash++;
    const text = ['help', 'alerts', 'whoami'][Math.floor(Math.random() * 3)] as string;
    try {
      const res = await slack.sendSlashCommand(base, { text, userId: 'U0SOAK', channelId: CHANNELS[0] });
      slashMs.push(res.ms);
      if (res.status === 200) counts.slashOk++;
      if (res.ms > 3000) counts.slashSlow++;
    } catch { /* restarting */ }
  }

  /** Presses a random button the bot posted (ack, silence…; not `resolve`, which would change the status the check expects). */
  async function press(): Promise<void> {
    const buttons: { value: string; channel: string; ts: string; blocks: unknown[] }[] = [];
    for (const c of slack.callsTo('chat.postMessage').slice(-200)) {
      const ts = (c.response as { ts?: string } | undefined)?.ts;
      if (!ts) continue;
      const blocks = (c.args.blocks ?? []) as unknown[];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if (typeof o.action_id === 'string' && o.action_id.startsWith('opsbot:run:') && typeof o.value === 'string' && !/^resolve\b/.test(o.value)) buttons.push({ value: o.value, channel: String(c.args.channel), ts, blocks });
          Object.values(o).forEach(walk);
        }
      };
      walk(blocks);
    }
    const b = buttons[Math.floor(Math.random() * buttons.length)];
    if (!b) return;
    counts.presses++;
    try {
      const res = await slack.sendBlockAction(base, { value: b.value, userId: 'U0SOAK', channelId: b.channel, messageTs: b.ts, blocks: b.blocks });
      if (res.status === 200) counts.pressOk++;
    } catch { /* restarting */ }
  }

  await start();
  console.log(`soak: ${MINUTES} min, restart every ${RESTART_EVERY_MIN} min, ${WEBHOOKS_PER_S} webhooks/s over ${POOL} groups, bot pid ${bot?.child.pid}`);
  const endAt = Date.now() + MINUTES * 60_000;
  let nextRestart = Date.now() + RESTART_EVERY_MIN * 60_000;
  let next429 = Date.now() + 20_000;
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => { inflight.add(p); void p.finally(() => inflight.delete(p)); };
  const sampler = setInterval(() => { void sampleRss(); }, 5000);
  let lastReport = Date.now();
  let tick = 0;

  while (Date.now() < endAt) {
    tick++;
    for (let i = 0; i < WEBHOOKS_PER_S / 10; i++) track(webhook());
    if (tick % 5 === 0) track(slashCommand());
    if (tick % 10 === 0) track(press());
    if (Date.now() > next429) {
      // Slack's rate limit: a few refusals with Retry-After, as a busy workspace sees.
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 3);
      slack.failNext('chat.update', { status: 429, retryAfter: 1 }, 2);
      counts.injected429 += 5;
      next429 = Date.now() + 15_000 + Math.random() * 15_000;
    }
    if (Date.now() > nextRestart && Date.now() < endAt - 30_000) {
      const kill = counts.restarts % 2 === 1;
      const old = bot as RunningBot;
      bot = undefined;
      const code = await old.stop(kill ? 'SIGKILL' : 'SIGTERM');
      counts.restarts++;
      if (kill) counts.kills++;
      console.log(`[${elapsed().toFixed(0)}s] ${kill ? 'kill -9' : 'SIGTERM'} (exit ${code}); starting again`);
      if (!kill && code !== 0) { counts.sigtermNotZero++; console.log(`bot stderr (tail):\n${old.stderr().slice(-4000)}`); }
      await start();
      nextRestart = Date.now() + RESTART_EVERY_MIN * 60_000;
    }
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      const last = rss[rss.length - 1];
      console.log(`[${elapsed().toFixed(0)}s] sent ${counts.webhooksSent} accepted ${counts.accepted} dup ${counts.duplicate} 5xx ${counts.http5xx} conn-errors ${counts.connErrors} slash ${counts.slashOk}/${counts.slash} presses ${counts.pressOk}/${counts.presses} rss ${last ? (last.kib / 1024).toFixed(0) : '?'} MiB`);
    }
    await sleep(100);
  }
  await Promise.all(inflight);

  // Settle: every group with an accepted notification named in chat (429s and restarts delay, never drop).
  const named = () => {
    const text = [...slack.callsTo('chat.postMessage'), ...slack.callsTo('chat.update')].filter((c) => c.status === 200).map((c) => JSON.stringify(c.args)).join('\n');
    return groups.filter((g) => g.last && !text.includes(g.alertname));
  };
  const settleStart = Date.now();
  let missingInChat = named();
  while (missingInChat.length && Date.now() - settleStart < 60_000) {
    await sleep(1000);
    missingInChat = named();
  }
  const settleSeconds = (Date.now() - settleStart) / 1000;
  await sampleRss();
  clearInterval(sampler);
  const exitCode = await (bot as RunningBot).stop('SIGTERM');

  // The store after a clean stop: every accepted notification's group with its last status.
  const store = await EmbeddedStore.open(path.join(dir, 'data'));
  const docs = await store.collection<{ _id: string; groupKey: string; occurrence: number; status: string }>('alert_groups').find({});
  await store.close();
  const latest = new Map<string, { status: string; occurrence: number }>();
  for (const d of docs) if ((latest.get(d.groupKey)?.occurrence ?? -1) < d.occurrence) latest.set(d.groupKey, d);
  const accepted = groups.filter((g) => g.last);
  const missingGroup = accepted.filter((g) => !latest.has(`{}:{alertname="${g.alertname}"}`));
  const wrongStatus = accepted.filter((g) => { const d = latest.get(`{}:{alertname="${g.alertname}"}`); return d && d.status !== g.last; });

  const lives_ = [...new Set(rss.map((s) => s.life))];
  const perLife = lives_.map((l) => {
    const s = rss.filter((x) => x.life === l).map((x) => x.kib / 1024);
    return { life: l, samples: s.length, first: s[0] ?? 0, max: Math.max(...s), last: s[s.length - 1] ?? 0 };
  });
  const sorted = [...slashMs].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const report = {
    minutes: MINUTES,
    ...counts,
    groupsWithAcceptedNotifications: accepted.length,
    lostGroups: missingGroup.length,
    wrongLastStatus: wrongStatus.length,
    notNamedInChat: missingInChat.length,
    lost: missingGroup.length + wrongStatus.length + missingInChat.length,
    settleSeconds: Number(settleSeconds.toFixed(1)),
    slashAckP50Ms: Math.round(p(0.5)),
    slashAckP99Ms: Math.round(p(0.99)),
    chat429Answered: [...slack.callsTo('chat.postMessage'), ...slack.callsTo('chat.update')].filter((c) => c.status === 429).length,
    finalExitCode: exitCode,
    rssMiBPerLife: perLife.map((l) => ({ ...l, first: Math.round(l.first), max: Math.round(l.max), last: Math.round(l.last) })),
    // The curve: the highest sample of each minute.
    rssMiBByMinute: Array.from({ length: Math.ceil(elapsed() / 60) }, (_, m) => Math.round(Math.max(0, ...rss.filter((x) => Math.floor(x.t / 60) === m).map((x) => x.kib / 1024)))),
  };
  console.log(JSON.stringify(report, null, 2));
  const lastLife = perLife[perLife.length - 1];
  summary('soak.ts', `\`opsbot start\` for ${MINUTES} min: ${WEBHOOKS_PER_S} webhooks/s over ${POOL} groups, slash commands, button presses, chat 429s, a restart every ${RESTART_EVERY_MIN} min (SIGTERM and kill -9 in turn); lost (goal 0), memory`,
    `lost ${report.lost} of ${accepted.length} groups (goal 0); ${counts.restarts} restarts (${counts.kills} kill -9), SIGTERM exits not 0: ${counts.sigtermNotZero}; ${report.chat429Answered} chat 429s; VmRSS per life ${perLife.map((l) => `${Math.round(l.first)}→${Math.round(l.max)}`).join(', ')} MiB (first→max; last life ended at ${Math.round(lastLife?.last ?? 0)})`);
  if (missingGroup.length || wrongStatus.length || missingInChat.length) {
    console.log('missing:', missingGroup.slice(0, 10).map((g) => g.alertname), 'wrong status:', wrongStatus.slice(0, 10).map((g) => g.alertname), 'not in chat:', missingInChat.slice(0, 10).map((g) => g.alertname));
  }
  await slack.close();
  await cleanup();
  process.exit(report.lost === 0 && counts.http5xx === 0 && counts.sigtermNotZero === 0 && exitCode === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
