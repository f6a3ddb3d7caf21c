/**
 * Surface-neutral mentions: what config writes (`@here`, `slack:usergroup:S0DBA`, `discord:role:42`,
 * `person:alice`), parsed once into `MentionRef`s, and resolved for one channel into the
 * `Mention`s a Reply carries. Each renderer turns a Mention into its surface's real ping; text of
 * a reply (labels, annotations, command output) never becomes a ping.
 */
import type { People } from './people.js';

export type Mention =
  /** Everyone active in the channel (Slack `<!here>`, Discord `@here`). */
  | { kind: 'here' }
  /** Everyone in the channel (Slack `<!channel>`, Discord `@everyone`). */
  | { kind: 'channel' }
  /** One user on one surface: a Slack member id, a Discord user id, a console name. */
  | { kind: 'user'; surface: string; id: string }
  /** A Slack user group (`S…`) or a Discord role (digits). */
  | { kind: 'group'; surface: 'slack' | 'discord'; id: string };

/** A mention as config names it: a Mention or a person of `people:` (resolved per channel). */
export type MentionRef = Mention | { kind: 'person'; id: string };

const FORMS = '@here, @channel, slack:usergroup:S…, slack:user:U…, discord:role:<id>, discord:user:<id> or person:<id>';

/** Raw chat syntax a config might carry, and the neutral form to write instead. */
const RAW: { re: RegExp; hint: (m: RegExpExecArray) => string }[] = [
  { re: /^<!(here|channel|everyone)(\|[^>]*)?>$/, hint: (m) => (m[1] === 'everyone' ? '@channel' : `@${m[1]}`) },
  { re: /^<!subteam\^([A-Z0-9]+)(\|[^>]*)?>$/, hint: (m) => `slack:usergroup:${m[1]}` },
  { re: /^<@&(\d+)>$/, hint: (m) => `discord:role:${m[1]}` },
  { re: /^<@!?(\d+)>$/, hint: (m) => `discord:user:${m[1]}` },
  { re: /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/, hint: (m) => `slack:user:${m[1]}` },
];

/** One config token → a MentionRef, or the problem in words. */
export function parseMentionRef(token: string): MentionRef | { error: string } {
  const t = token.trim();
  if (t === '@here') return { kind: 'here' };
  if (t === '@channel' || t === '@everyone') return { kind: 'channel' };
  let m: RegExpExecArray | null;
  if ((m = /^slack:usergroup:(S[A-Z0-9]{2,})$/.exec(t))) return { kind: 'group', surface: 'slack', id: m[1] as string };
  if ((m = /^slack:user:([UW][A-Z0-9]{2,})$/.exec(t))) return { kind: 'user', surface: 'slack', id: m[1] as string };
  if ((m = /^discord:role:(\d{1,20})$/.exec(t))) return { kind: 'group', surface: 'discord', id: m[1] as string };
  if ((m = /^discord:user:(\d{1,20})$/.exec(t))) return { kind: 'user', surface: 'discord', id: m[1] as string };
  if ((m = /^person:([a-z][a-z0-9_.-]{0,62})$/.exec(t))) return { kind: 'person', id: m[1] as string };
  for (const raw of RAW) {
    const r = raw.re.exec(t);
    if (r) return { error: `"${t}" is raw chat syntax; write the surface-neutral ${raw.hint(r)}` };
  }
  if (/^<[!@#]/.test(t)) return { error: `"${t}" is raw chat syntax; write ${FORMS}` };
  return { error: `"${t}" is not a mention; write ${FORMS}` };
}

/** Parses a config value (one string of space-separated tokens, or a list of them). */
export function parseMentionRefs(value: string | readonly string[]): { refs: MentionRef[]; errors: string[] } {
  const tokens = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const refs: MentionRef[] = [];
  const errors: string[] = [];
  for (const token of tokens) {
    const r = parseMentionRef(token);
    if ('error' in r) errors.push(r.error);
    else if (!refs.some((x) => sameRef(x, r))) refs.push(r);
  }
  return { refs, errors };
}

function sameRef(a: MentionRef, b: MentionRef): boolean {
  return a.kind === b.kind && ('id' in a ? 'id' in b && a.id === b.id && ('surface' in a ? 'surface' in b && a.surface === b.surface : true) : true);
}

/** The surface of a `<surface>:<channel>` address. */
export function surfaceOf(channel: string): string {
  const i = channel.indexOf(':');
  return i < 0 ? channel : channel.slice(0, i);
}

/** A person's identity on a surface as a user mention (`slack:U1`, `discord:user:42`, `console:op`). */
function identityMention(identity: string, surface: string): Mention | undefined {
  if (!identity.startsWith(`${surface}:`)) return undefined;
  const rest = identity.slice(surface.length + 1);
  const id = surface === 'discord' ? rest.replace(/^user:/, '') : rest;
  return id ? { kind: 'user', surface, id } : undefined;
}

/**
 * The mentions that apply in `channel`: `@here`/`@channel` everywhere, users and groups of that
 * channel's surface only, and each person as their identities on that surface (none there: left out).
 */
export function mentionsFor(refs: readonly MentionRef[] | undefined, channel: string, people?: Pick<People, 'get'>): Mention[] {
  if (!refs?.length) return [];
  const surface = surfaceOf(channel);
  const out: Mention[] = [];
  const add = (m: Mention) => {
    if (!out.some((x) => sameRef(x, m))) out.push(m);
  };
  for (const r of refs) {
    if (r.kind === 'person') {
      for (const identity of people?.get(r.id)?.identities ?? []) {
        const m = identityMention(identity, surface);
        if (m) add(m);
      }
    } else if (r.kind === 'here' || r.kind === 'channel' || r.surface === surface) {
      add(r);
    }
  }
  return out;
}

/** The neutral words for a mention, as config writes it and the console prints it. */
export function mentionWords(m: Mention): string {
  switch (m.kind) {
    case 'here': return '@here';
    case 'channel': return '@channel';
    case 'user': return m.surface === 'console' ? `@${m.id}` : `${m.surface}:user:${m.id}`;
    case 'group': return m.surface === 'slack' ? `slack:usergroup:${m.id}` : `discord:role:${m.id}`;
  }
}

/** The mention a notify target `group: slack:usergroup:S…|discord:role:…` stands for. */
export function groupMention(group: string): Mention | undefined {
  const r = parseMentionRef(group);
  return 'error' in r || r.kind !== 'group' ? undefined : r;
}
