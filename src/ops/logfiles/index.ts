/**
 * Log files on disk, per target (`targets.<t>.logFiles`), on the bot's host or an SSH host:
 * read back with a bounded command per file, timed by each line's timestamp, filtered by a
 * pattern or (JSON lines) by field matches and numeric comparisons.
 */
import type { LogFileSource } from '../../config/logfiles-schema.js';
import { UserError } from '../../core/errors.js';
import type { Hosts } from '../hosts/index.js';
import { LogFileReader } from './source.js';

export { describeConditions, lineTest, type LineConditions, type ParsedLine } from './conditions.js';
export { LogFileReader, type CollectQuery, type CollectResult, type FileLogLine } from './source.js';
export { fileNameMatcher, globToRegexSource } from './names.js';
export { parseTime } from './timestamp.js';

/** The log sources of every target, each read on its own host. */
export class LogFiles {
  constructor(private readonly sources: Record<string, LogFileSource[]>, private readonly hosts: Hosts) {}

  names(target: string): string[] {
    return (this.sources[target] ?? []).map((s) => s.name);
  }

  /** The reader of a target's source (the only one when no name is given). */
  reader(target: string, name?: string): LogFileReader {
    const list = this.sources[target] ?? [];
    if (list.length === 0) throw new UserError('invalid', `Target "${target}" has no log files configured (add \`logFiles:\` to the target)`);
    const source = name === undefined ? (list.length === 1 ? list[0] : undefined) : list.find((s) => s.name === name);
    if (!source) {
      throw new UserError(name === undefined ? 'invalid' : 'not_found', name === undefined
        ? `Target "${target}" has several log sources: choose one with --file (${list.map((s) => s.name).join(', ')})`
        : `Target "${target}" has no log source "${name}" (logFiles: ${list.map((s) => s.name).join(', ')})`);
    }
    return new LogFileReader(source, this.hosts.get(source.host));
  }
}
