/** What every chat surface is: a gateway others can post through, with a life cycle and readiness. */
import type { ChatGateway } from '../core/chat.js';

export interface ChatSurface extends ChatGateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Undefined when ready, otherwise why not (for /readyz). */
  notReadyReason(): string | undefined;
}
