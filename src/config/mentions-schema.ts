/**
 * A configured mention (`mention:` of an alert route or an escalation step's channel target):
 * one string of space-separated tokens or a list of them, each surface-neutral:
 * `@here`, `@channel`, `slack:usergroup:S…`, `slack:user:U…`, `discord:role:<id>`,
 * `discord:user:<id>`, `person:<id>`. Raw chat syntax (`<!here>`, `<@U…>`, `<!subteam^…>`) is refused.
 */
import { z } from 'zod';
import { mentionWords, parseMentionRefs, surfaceOf, type MentionRef } from '../core/mentions.js';

export const mentionSchema = z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(200)).min(1).max(20)])
  .transform((v, ctx): MentionRef[] => {
    const { refs, errors } = parseMentionRefs(v);
    for (const message of errors) ctx.addIssue({ code: 'custom', message });
    return errors.length ? z.NEVER : refs;
  });

/** Persons a mention names must be in `people:`. */
export function checkMentionPeople(refs: readonly MentionRef[] | undefined, people: Record<string, unknown>, path: (string | number)[], ctx: z.RefinementCtx): void {
  for (const r of refs ?? []) {
    if (r.kind === 'person' && !people[r.id]) {
      ctx.addIssue({ code: 'custom', path, message: `Unknown person "${r.id}" in person:${r.id} (people: ${Object.keys(people).join(', ') || 'none'})` });
    }
  }
}

/** A user or group mention of one surface must have a channel of that surface to ping in. */
export function checkMentionSurfaces(refs: readonly MentionRef[] | undefined, channels: readonly string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const surfaces = new Set(channels.map(surfaceOf));
  for (const r of refs ?? []) {
    if ((r.kind === 'user' || r.kind === 'group') && !surfaces.has(r.surface)) {
      ctx.addIssue({ code: 'custom', path, message: `${mentionWords(r)} can ping only in a ${r.surface}: channel, and there is none here (channels: ${channels.join(', ')})` });
    }
  }
}
