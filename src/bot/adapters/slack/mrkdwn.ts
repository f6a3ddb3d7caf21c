/** Slack mrkdwn helpers: escaping (`&`, `<`, `>`) and cutting that never splits an entity. */

export function escapeMrkdwn(s: string): string {
  // Most text has none of the three: one scan instead of three replaces.
  if (!/[&<>]/.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** What the user typed: Slack sends `&`, `<`, `>` in message and command text as entities. */
export function unescapeSlackText(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Escapes `s` and cuts it so the escaped result has at most `max` characters (ending in `…` when cut). */
export function escapeCut(s: string, max: number): string {
  const full = escapeMrkdwn(s);
  if (full.length <= max) return full;
  let out = '';
  for (const ch of s) {
    const e = escapeMrkdwn(ch);
    if (out.length + e.length > max - 1) break;
    out += e;
  }
  return `${out}…`;
}

/** Cuts plain text (no escaping) to at most `max` characters, ending in `…` when cut. */
export function cutPlain(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  for (const ch of s) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Splits an already-escaped line into pieces of at most `max` characters without breaking `&amp;`-style entities. */
export function splitEscaped(line: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let at = max;
    const amp = rest.lastIndexOf('&', at - 1);
    if (amp >= 0 && amp > at - 5 && !rest.slice(amp, at).includes(';')) at = amp;
    if (at <= 0) at = max;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  pieces.push(rest);
  return pieces;
}

/** A safe `<url|label>` link, or the escaped label alone when the URL cannot be linked. */
export function link(url: string, label: string): string {
  const safeUrl = url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c));
  if (!/^(https?|mailto):/i.test(safeUrl)) return escapeMrkdwn(label);
  return `<${safeUrl}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}
