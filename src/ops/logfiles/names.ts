/** Which files of a folder belong to a log source: the glob of its file name, and their rotated copies. */

/** `*.log` → /^[^/]*\.log$/ source; `?` one character, `[...]` a class (`[!...]` negated). */
export function globToRegexSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) { out += '\\['; continue; }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return out;
}

/** Rotation suffixes logrotate writes: `.1`, `.2.gz`, `-20260101`, `-20260101.gz`, `.gz` (compressed in place). */
const ROTATED = '(?:\\.\\d{1,4}|-\\d{8}(?:\\d{2})?)?(?:\\.gz)?';

export interface FileNameMatcher {
  matches(name: string): boolean;
}

/** Matches the source's file names (and, with `rotated`, their rotated copies). */
export function fileNameMatcher(glob: string, rotated: boolean): FileNameMatcher {
  const re = new RegExp(`^${globToRegexSource(glob)}${rotated ? ROTATED : ''}$`);
  return { matches: (name) => re.test(name) };
}

export function isGzipName(name: string): boolean {
  return name.endsWith('.gz');
}
