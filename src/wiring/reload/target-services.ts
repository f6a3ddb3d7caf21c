/**
 * The target-dependent services of a running bot as generations: one `Operations` (Hosts,
 * Docker, backups, user directories, log files, probes, restarts, managers) and the command
 * families built over it. A reload that changes `targets` or `hosts` prepares a new generation
 * (everything built, nothing swapped), then commits it in one synchronous step: the registry
 * serves the new commands from the next call on. A command already running finishes on the old
 * generation; the old one's resources (user-directory database clients) are closed once its last
 * running command has finished, or at stop. Locks (restarts, backups) live in coordination, which
 * every generation shares.
 */
import type { Config } from '../../config/schema.js';
import type { AnyCommand, CommandContext } from '../../core/command.js';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import type { CommandRegistry } from '../../bot/registry.js';
import type { Operations } from '../operations.js';
import { allTargetCommands, type TargetCommandFamilies } from '../target-commands.js';

export interface TargetGeneration {
  ops: Operations;
  families: TargetCommandFamilies;
}

interface Generation extends TargetGeneration {
  id: number;
  running: number;
  retired: boolean;
  closing?: Promise<void>;
}

export interface PreparedTargets {
  /** Swaps the prepared generation in: the registry's families, then the old one retires. Synchronous. */
  commit(): void;
  /** Closes the prepared generation unused (another piece of the reload could not be built). */
  discard(): Promise<void>;
}

export class TargetServices {
  private current: Generation;
  private readonly retiring = new Set<Generation>();
  private made = 0;

  constructor(config: Config, private readonly o: { build: (config: Config) => TargetGeneration; registry: () => CommandRegistry; log: Logger }) {
    this.current = this.generation(o.build(config));
  }

  /** The command families of the current generation (tracked: each run counts against it). */
  get families(): TargetCommandFamilies {
    return this.current.families;
  }

  /** Builds the services and commands of `next` (throws, swapping nothing, when a piece cannot be made). */
  prepare(next: Config): PreparedTargets {
    const gen = this.generation(this.o.build(next));
    return {
      commit: () => {
        this.o.registry().replace(...allTargetCommands(gen.families));
        const old = this.current;
        this.current = gen;
        old.retired = true;
        this.retiring.add(old);
        if (old.running === 0) void this.close(old);
      },
      discard: () => this.close(gen),
    };
  }

  /** Stop: every generation closed (after the router has drained the running commands). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.retiring, this.current].map((g) => this.close(g)));
  }

  private close(g: Generation): Promise<void> {
    g.closing ??= g.ops.close().catch((e: unknown) => {
      this.o.log.warn({ err: e, generation: g.id }, `closing the target services of a replaced config failed: ${errorMessage(e)}`);
    }).finally(() => this.retiring.delete(g));
    return g.closing;
  }

  private generation(built: TargetGeneration): Generation {
    const g: Generation = { ...built, id: ++this.made, running: 0, retired: false };
    const wrap = (families: TargetCommandFamilies): TargetCommandFamilies => ({
      health: families.health.map((c) => this.tracked(g, c)),
      user: families.user.map((c) => this.tracked(g, c)),
      containers: families.containers.map((c) => this.tracked(g, c)),
      backup: families.backup.map((c) => this.tracked(g, c)),
      checklist: families.checklist.map((c) => this.tracked(g, c)),
    });
    g.families = wrap(built.families);
    return g;
  }

  /** The current generation's command of that name (a command of a closed generation hands its run to it). */
  private currentCommand(name: string): AnyCommand | undefined {
    return allTargetCommands(this.current.families).find((c) => c.name === name);
  }

  /**
   * The command, its runs (and dry-run descriptions) counted against its generation. One looked
   * up before a reload and run after its generation was closed (the router awaited RBAC, the
   * gate, the audit write in between) runs on the current generation instead.
   */
  private tracked(g: Generation, cmd: AnyCommand): AnyCommand {
    // Only a replaced generation hands over (at stop the current one closes too: nothing newer to run on).
    const closed = (): AnyCommand | undefined => (g.closing && g !== this.current ? this.currentCommand(cmd.name) : undefined);
    const during = async <T>(fn: () => T | Promise<T>): Promise<T> => {
      g.running++;
      try {
        return await fn();
      } finally {
        g.running--;
        if (g.retired && g.running === 0) void this.close(g);
      }
    };
    const { describe } = cmd;
    return {
      ...cmd,
      run: (ctx: CommandContext, args: never) => closed()?.run(ctx, args) ?? during(() => cmd.run(ctx, args)),
      ...(describe ? {
        describe: (args: never, access: Parameters<NonNullable<AnyCommand['describe']>>[1]) => {
          const now = closed();
          return now?.describe ? now.describe(args, access) : during(() => describe(args, access));
        },
      } : {}),
    } as AnyCommand;
  }
}
