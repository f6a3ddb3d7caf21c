/** A schedule's shifts as iCalendar (RFC 5545): one event per shift of the final answer, in UTC. */
import type { Shift } from './schedule.js';

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n');

/** Lines longer than 75 octets are folded (RFC 5545 3.1). */
function fold(line: string): string {
  const out: string[] = [];
  let rest = line;
  while (Buffer.byteLength(rest) > 75) {
    let cut = 75;
    while (Buffer.byteLength(rest.slice(0, cut)) > 75) cut--;
    out.push(rest.slice(0, cut));
    rest = ` ${rest.slice(cut)}`;
  }
  out.push(rest);
  return out.join('\r\n');
}

export function scheduleCalendar(schedule: string, zone: string, shifts: readonly Shift[], now: number): string {
  const lines = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//opsbot//on-call//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
    `X-WR-CALNAME:${escape(`On call: ${schedule}`)}`, `X-WR-TIMEZONE:${zone}`,
  ];
  for (const s of shifts) {
    if (!s.person) continue;
    lines.push(
      'BEGIN:VEVENT',
      `UID:${schedule}-${s.from}-${s.person}@opsbot`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART:${stamp(s.from)}`,
      `DTEND:${stamp(s.to)}`,
      `SUMMARY:${escape(`On call (${schedule}): ${s.person}`)}`,
      `DESCRIPTION:${escape(`${s.person} is on call for ${schedule} (${s.source ?? 'schedule'}).`)}`,
      'TRANSP:TRANSPARENT',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}
