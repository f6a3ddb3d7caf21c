/**
 * The command registry. Names may be several words (`backup run`); a line is matched against the
 * longest name its first words spell. A duplicate name or alias is refused at start-up.
 */
import type { AnyCommand } from '../core/command.js';

export class CommandRegistry {
  private readonly byName = new Map<string, AnyCommand>();
  private readonly specs: AnyCommand[] = [];

  register(...commands: AnyCommand[]): this {
    for (const cmd of commands) {
      for (const key of [cmd.name, ...(cmd.aliases ?? [])]) {
        const norm = key.toLowerCase();
        const clash = this.byName.get(norm);
        if (clash) throw new Error(`command name "${key}" of "${cmd.name}" is already taken by "${clash.name}"`);
        this.byName.set(norm, cmd);
      }
      this.specs.push(cmd);
    }
    return this;
  }

  /**
   * Swaps registered commands for new ones of the same names (a config reload's target-dependent
   * families), each in its place. All or nothing: a name that is not registered, or an alias
   * another command holds, throws before anything is swapped.
   */
  replace(...commands: AnyCommand[]): this {
    const plan = commands.map((cmd) => {
      const old = this.get(cmd.name);
      if (!old || old.name.toLowerCase() !== cmd.name.toLowerCase()) throw new Error(`command "${cmd.name}" is not registered: nothing to replace`);
      return { old, cmd };
    });
    const leaving = new Set(plan.map((p) => p.old));
    const taken = new Map([...this.byName].filter(([, c]) => !leaving.has(c)));
    for (const { cmd } of plan) {
      for (const key of [cmd.name, ...(cmd.aliases ?? [])]) {
        const norm = key.toLowerCase();
        const clash = taken.get(norm);
        if (clash) throw new Error(`command name "${key}" of "${cmd.name}" is already taken by "${clash.name}"`);
        taken.set(norm, cmd);
      }
    }
    this.byName.clear();
    for (const [k, c] of taken) this.byName.set(k, c);
    for (const { old, cmd } of plan) this.specs[this.specs.indexOf(old)] = cmd;
    return this;
  }

  get(name: string): AnyCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }

  all(): readonly AnyCommand[] {
    return this.specs;
  }

  /** Every name and alias, for suggestions. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The command whose name the first tokens spell (longest match), and how many tokens it used. */
  match(tokens: string[]): { command: AnyCommand; used: number } | undefined {
    for (let n = Math.min(3, tokens.length); n >= 1; n--) {
      const cmd = this.get(tokens.slice(0, n).join(' '));
      if (cmd) return { command: cmd, used: n };
    }
    return undefined;
  }

  /** Commands that start with the given word: `backup` → `backup run`, `backup list`… */
  family(word: string): AnyCommand[] {
    const w = word.toLowerCase();
    return this.specs.filter((c) => c.name.split(' ')[0] === w && c.name.includes(' '));
  }
}
