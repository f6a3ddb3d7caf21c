/**
 * The `people:` section: one human, their identity on each surface, e-mail, time zone and roles.
 *
 *   people:
 *     alice: { slack: U0ALICE, discord: "700000000000000001", console: alice, tz: Europe/Berlin, roles: [operator] }
 *
 * Identities are written as the surface shows them (a Slack member id, a Discord user id, a
 * console name) or as full subject ids (`slack:U0ALICE`); after parsing each person has
 * `identities`, the subject ids RBAC sees. An identity claimed by two people is an error.
 */
import { z } from 'zod';

const SURFACES = {
  slack: { prefix: 'slack:', id: /^[UW][A-Z0-9]{2,}$/, hint: 'a Slack member id such as U0123ABCD' },
  discord: { prefix: 'discord:user:', id: /^\d{1,20}$/, hint: 'a Discord user id (digits)' },
  console: { prefix: 'console:', id: /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, hint: 'a console user name such as operator' },
} as const;
type Surface = keyof typeof SURFACES;

/** One identity or several, on one surface, bare or as a subject id → subject ids. */
function identities(surface: Surface) {
  const { prefix, id, hint } = SURFACES[surface];
  const one = z.string().trim().min(1).transform((v, ctx) => {
    const bare = v.startsWith(prefix) ? v.slice(prefix.length) : v;
    if (!id.test(bare)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not ${hint} (or ${prefix}<id>)` });
      return z.NEVER;
    }
    return `${prefix}${bare}`;
  });
  return z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(one).min(1));
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const personSchema = z.object({
  slack: identities('slack').optional(),
  discord: identities('discord').optional(),
  console: identities('console').optional(),
  email: z.email().optional(),
  /** IANA time zone: `Europe/Berlin`, `America/New_York`, `UTC`. */
  tz: z.string().superRefine((v, ctx) => {
    if (!isTimeZone(v)) ctx.addIssue({ code: 'custom', message: `"${v}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)` });
  }).optional(),
  /** Roles of `rbac.roles` this person holds on every surface. */
  roles: z.array(z.string().min(1)).default([]),
}).strict().transform(({ slack, discord, console, ...rest }) => ({ ...rest, identities: [...(slack ?? []), ...(discord ?? []), ...(console ?? [])] }));

/** The name on-call and approvals use: `alice`, `bob.smith`. */
const personId = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'A person id: lower-case letters, digits, ".", "_" and "-", starting with a letter');

export const peopleSchema = z.record(personId, personSchema).superRefine((people, ctx) => {
  const owner = new Map<string, string>();
  for (const [id, p] of Object.entries(people)) {
    if (p.identities.length === 0) ctx.addIssue({ code: 'custom', path: [id], message: `Person "${id}" has no identity: give slack, discord or console` });
    for (const identity of p.identities) {
      const other = owner.get(identity);
      const surface = identity.split(':')[0] as string;
      if (other) ctx.addIssue({ code: 'custom', path: [id, surface], message: `${identity} is claimed by both "${other}" and "${id}"` });
      else owner.set(identity, id);
    }
  }
});
export type PeopleConfig = z.infer<typeof peopleSchema>;
