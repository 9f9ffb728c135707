import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './ports.ts';

const scope = new AsyncLocalStorage<Logger>();

/** Runs `fn` with `log` (a request's logger, carrying its request id) as the scope's logger. */
export const runInLogScope = <T>(log: Logger, fn: () => T): T => scope.run(log, fn);

/**
 * The logger the use cases get: it writes through the logger of the request being served, when
 * there is one, so every line a request causes carries its request id; otherwise through `root`.
 */
export function scopedLogger(root: Logger): Logger {
  const current = (): Logger => scope.getStore() ?? root;
  return {
    info: (obj, msg) => current().info(obj, msg),
    warn: (obj, msg) => current().warn(obj, msg),
    error: (obj, msg) => current().error(obj, msg),
    debug: (obj, msg) => current().debug(obj, msg),
  };
}
