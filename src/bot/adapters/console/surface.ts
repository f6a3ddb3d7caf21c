/**
 * The console surface: reads command lines from stdin, prints replies on stdout, and prints what
 * others post to "channels" (alerts, scheduled results). At end of input it stops reading; the bot
 * keeps serving HTTP until a signal. Ctrl-C on a terminal is that signal.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Subject } from '../../../core/command.js';
import type { MessageRef } from '../../../core/chat.js';
import type { Reply } from '../../../core/reply.js';
import type { Router } from '../../router.js';
import type { ChatSurface } from '../../surface.js';
import { renderConsole } from './render.js';

export interface ConsoleSurfaceOptions {
  router: Router;
  input: Readable;
  output: Writable;
  subject: Subject;
  /** Colours and a prompt: on when both ends are a terminal. */
  interactive: boolean;
  /** The bot's name (`bot.name`): the prompt is `<name>> `. */
  name?: string;
  onEnd?: () => void;
  /**
   * Ctrl-C on the terminal. A terminal console reads keys raw, so Ctrl-C reaches readline as a
   * key, not the process as SIGINT; by default it is turned back into SIGINT, so that the
   * process's signal handling (graceful stop; a second one forces) applies.
   */
  onInterrupt?: () => void;
}

export class ConsoleSurface implements ChatSurface {
  readonly name = 'console';
  private rl: readline.Interface | undefined;
  private seq = 0;
  private ended = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ConsoleSurfaceOptions) {}

  async start(): Promise<void> {
    const rl = readline.createInterface({ input: this.opts.input, terminal: this.opts.interactive, ...(this.opts.interactive ? { output: this.opts.output } : {}) });
    this.rl = rl;
    const name = this.opts.name ?? 'opsbot';
    rl.setPrompt(`${name}> `);
    if (this.opts.interactive) {
      this.write(`${name} console — you are ${this.opts.subject.id}. Type \`help\`. Ctrl-C stops the bot (twice: at once); Ctrl-D closes the console, the bot keeps serving HTTP.`);
      rl.prompt();
    }
    rl.on('SIGINT', () => (this.opts.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')))());
    // Lines are handled one at a time, in order, so output follows input.
    rl.on('line', (line) => {
      this.queue = this.queue.then(() => this.handleLine(line));
    });
    rl.on('close', () => {
      void this.queue.then(() => {
        this.ended = true;
        this.opts.onEnd?.();
      });
    });
  }

  /** Stops reading; a command already running finishes (the router's drain bounds it). */
  async stop(): Promise<void> {
    this.rl?.close();
  }

  notReadyReason(): string | undefined {
    return undefined;
  }

  get inputEnded(): boolean {
    return this.ended;
  }

  async post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef> {
    const id = String(++this.seq);
    this.write(`#${channel}${options?.thread ? ` (thread ${options.thread})` : ''} [msg ${id}]\n${this.render(reply)}`);
    return { surface: this.name, channel, id, ...(options?.thread ? { thread: options.thread } : {}) };
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.write(`#${ref.channel} [msg ${ref.id} updated]\n${this.render(reply)}`);
  }

  async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    const id = String(++this.seq);
    this.write(`@${user} [dm ${id}]\n${this.render(reply)}`);
    return { surface: this.name, channel: `@${user}`, id };
  }

  private async handleLine(line: string): Promise<void> {
    if (line.trim()) {
      // A long operation's steps, one line each while it runs (the router sends at most one a second).
      const progress = (text: string) => this.write(this.opts.interactive ? `\x1b[2m… ${text}\x1b[0m` : `… ${text}`);
      const result = await this.opts.router.handle({ subject: this.opts.subject, surface: 'console', line, channel: 'console', progress });
      this.write(this.render(result.reply));
    }
    if (this.opts.interactive) this.rl?.prompt();
  }

  private render(reply: Reply): string {
    return renderConsole(reply, { colour: this.opts.interactive });
  }

  private write(text: string): void {
    this.opts.output.write(`${text}\n`);
  }
}
