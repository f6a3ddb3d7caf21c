/** Docker API and connection failures as `UserError`s with a message a person can act on. */
import { UserError, isUserError } from '../../core/errors.js';

/** A Docker API or connection failure as a message for the person who asked. */
export function dockerError(e: unknown, host: string, what: string): UserError {
  if (isUserError(e)) return e;
  const err = e as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } | null; reason?: string };
  const apiMessage = err?.json && typeof err.json === 'object' && typeof err.json.message === 'string' ? err.json.message.trim() : undefined;
  switch (err?.code) {
    case 'ENOENT':
      return new UserError('unavailable', `Docker is not reachable at ${host}: there is no socket there (is dockerd running?)`);
    case 'ECONNREFUSED':
      return new UserError('unavailable', `Docker is not reachable at ${host}: connection refused (is dockerd running?)`);
    case 'EACCES':
    case 'EPERM':
      return new UserError('denied', `Permission denied on the Docker socket at ${host}: the bot's user needs access to it (for example membership of the docker group)`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ENOTCONN':
      return new UserError('unavailable', `Docker at ${host} closed the connection during ${what}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError('unavailable', `Docker host ${host} cannot be resolved`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new UserError('unavailable', `Docker at ${host} cannot be reached (${err.code})`);
    default:
      break;
  }
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    return new UserError('timeout', `Docker at ${host} did not finish ${what} in time`);
  }
  switch (err?.statusCode) {
    case 404:
      return new UserError('not_found', `No such container on ${host}: ${apiMessage ?? what}`);
    case 401:
    case 403:
      return new UserError('denied', `Docker at ${host} refused ${what}: ${apiMessage ?? 'permission denied'}`);
    case 409:
      return new UserError('conflict', `Docker at ${host} refused ${what}: ${apiMessage ?? 'conflict'}`);
    case undefined:
      break;
    default:
      return new UserError('failed', `Docker at ${host} failed ${what} (HTTP ${err.statusCode}): ${apiMessage ?? err.reason ?? 'server error'}`);
  }
  if (err?.message === 'socket hang up') return new UserError('unavailable', `Docker at ${host} closed the connection during ${what}`);
  return new UserError('failed', `Docker at ${host}: ${what} failed: ${err?.message ?? String(e)}`);
}
