import type { Logger } from './ports.ts';

/**
 * Runs `task` every `intervalMs`, never two at once. `stop()` waits for a run in progress, so
 * shutdown never cuts one in half.
 */
export function runPeriodically(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
  log: Logger,
): { stop: () => Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const tick = (): void => {
    if (stopped) return;
    running = task()
      .catch((err: unknown) => log.warn({ err, task: name }, `${name} failed; will retry`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
