/**
 * 1,000 concurrent escalations: step firing lateness (delivered to the outbox minus due time)
 * p50/p99 and memory. Three steps 5 s apart, escalations started over 2 s, the embedded store,
 * in-process coordination, the real notifier and outbox (not sending: pages stay queued).
 */
import { pino } from 'pino';
import { EmbeddedStore } from '../src/core/store/embedded.js';
import { MemoryCoordination } from '../src/core/coordination/memory.js';
import { systemClock } from '../src/core/clock.js';
import { Outbox } from '../src/core/outbox/index.js';
import { People } from '../src/core/people.js';
import { peopleSchema } from '../src/config/people-schema.js';
import { oncallSections } from '../src/config/oncall-schema.js';
import { OnCall } from '../src/core/oncall/service.js';
import { Notifier } from '../src/core/escalation/notifier.js';
import { Escalations } from '../src/core/escalation/engine.js';
import { messageKey } from '../src/core/alerts/service.js';
import type { AlertGroup } from '../src/core/alerts/group.js';
import { summary } from './summary.js';

const N = 1000;
const log = pino({ level: 'silent' });
const store = await EmbeddedStore.open(null);
const coordination = new MemoryCoordination();
const people = new People(peopleSchema.parse({ alice: { slack: 'U0ALICE' }, bob: { slack: 'U0BOB' }, carol: { slack: 'U0CAROL' } }));
const schedules = oncallSections.schedules.parse({ primary: { timezone: 'Europe/Berlin', layers: [{ people: ['alice', 'bob'], shift: '1w', start: '2026-01-05' }] } });
const policies = oncallSections.escalationPolicies.parse({ bench: { steps: [
  { notify: [{ schedule: 'primary' }], delay: '5s' }, { notify: [{ schedule: 'primary', layer: 'next' }], delay: '5s' }, { notify: [{ person: 'carol' }] },
] } });
const outbox = new Outbox({ store, coordination, gateways: new Map(), rate: { messages: 1000, per: 1000 }, log });
const oncall = new OnCall(schedules, { store, people, clock: systemClock });
const notifier = new Notifier({ oncall, people, outbox, groupMessageKey: messageKey, fallbackChannel: 'console:alerts', log,
  // Every bench escalation reaches someone: a miss would be a bench bug.
  alerts: { receive: async () => { throw new Error('nobody on call in the bench'); } } });
const groups = new Map<string, AlertGroup>();
const at = new Date();
for (let i = 0; i < N; i++) {
  const id = (0x10000 + i).toString(16);
  groups.set(id, {
    _id: id, groupKey: `g${i}`, occurrence: 1, status: 'firing', open: true, receiver: 'bench', groupLabels: { alertname: `A${i}` }, commonLabels: { alertname: `A${i}`, severity: 'critical' },
    commonAnnotations: {}, externalURL: '', truncatedAlerts: 0, alerts: [], routes: [{ channel: 'console:alerts', route: 'r', escalation: 'bench' }], firstSeenAt: at, updatedAt: at, seen: [], heldIn: [],
  });
}
const alerts = {
  find: async (id: string) => groups.get(id) as AlertGroup,
  listOpen: async () => [],
};
const lateness: number[] = [];
const escalations = new Escalations({
  store, coordination, clock: systemClock, alerts, notifier, policies, log, tickMs: 100,
  onFired: (f) => { if (!f.manual) lateness.push(Date.now() - f.dueAt); },
});
await escalations.start();
const rssBefore = process.memoryUsage().rss;
const t0 = Date.now();
const ids = [...groups.keys()];
for (let i = 0; i < ids.length; i += 50) {
  await Promise.all(ids.slice(i, i + 50).map((id) => escalations.startFor(id)));
  await new Promise((r) => setTimeout(r, 100));
}
let peakRss = 0;
while (lateness.length < N * 3 && Date.now() - t0 < 120_000) {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await new Promise((r) => setTimeout(r, 200));
}
await escalations.stop();
const sorted = [...lateness].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
console.log(`escalations: ${N}, steps fired: ${lateness.length} of ${N * 3} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`step lateness (delivered − due): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted[sorted.length - 1]} ms (goal: p99 < 1000 ms)`);
console.log(`memory: RSS ${mib(rssBefore)} before, peak ${mib(peakRss)}; heap used ${mib(process.memoryUsage().heapUsed)}`);
summary('escalation.ts', `${N} concurrent escalations, three steps 5 s apart: step lateness (delivered to the outbox − due) and memory`, `p50 ${q(0.5)} ms / p99 ${q(0.99)} ms; RSS ${mib(rssBefore)} → ${mib(peakRss)} peak`);
await store.close();
