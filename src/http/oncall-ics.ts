/**
 * `GET /oncall/<schedule>.ics?token=…` (or `Authorization: Bearer …`): the schedule as
 * iCalendar, from 7 days ago to 90 days ahead, so people see their shifts in their calendar.
 * 401 without the right token, 404 for an unknown schedule.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { OnCall } from '../core/oncall/service.js';
import { scheduleCalendar } from '../core/oncall/ical.js';

const DAY = 86_400_000;
const digest = (s: string) => createHash('sha256').update(s).digest();

export function oncallCalendar(opts: { oncall: OnCall; token: string; clock: Clock }): FastifyPluginAsync {
  const expected = digest(opts.token);
  return async (app) => {
    app.get<{ Params: { file: string }; Querystring: { token?: string } }>('/oncall/:file', async (req, reply) => {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const given = req.query.token ?? bearer;
      if (!given || !timingSafeEqual(digest(given), expected)) return reply.code(401).send({ error: 'unauthorized', message: 'Give the calendar token: ?token=… or Authorization: Bearer …' });
      const m = /^([a-z][a-z0-9_-]{0,39})\.ics$/.exec(req.params.file);
      if (!m || !opts.oncall.names().includes(m[1] as string)) return reply.code(404).send({ error: 'not_found', message: `No schedule ${req.params.file} (schedules: ${opts.oncall.names().join(', ')})` });
      const name = m[1] as string;
      const now = opts.clock.now();
      const shifts = await opts.oncall.timeline(name, new Date(now - 7 * DAY), new Date(now + 90 * DAY));
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(scheduleCalendar(name, opts.oncall.schedule(name).zone, shifts, now));
    });
  };
}
