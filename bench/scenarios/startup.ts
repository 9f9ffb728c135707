import { startApi } from '../lib/processes.ts';

export interface Startup {
  /** Spawn to the first 200 from /health/live, best of the tries. */
  startupMs: number;
  /** Resident set size two seconds after that, lowest of the tries. */
  idleRssMb: number;
}

/**
 * Starts the API `tries` times, compiled (as `npm start` runs it) or from the TypeScript sources
 * through tsx (as it ran before it was compiled), and measures how long it takes to answer and
 * how much memory it holds when idle.
 */
export async function startup(env: Record<string, string>, port: number, fromSource: boolean, tries: number): Promise<Startup> {
  let best: Startup = { startupMs: Infinity, idleRssMb: Infinity };
  for (let i = 0; i < tries; i++) {
    const api = await startApi(env, port, fromSource);
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      const rss = (await api.rssMb()) ?? NaN;
      best = { startupMs: Math.min(best.startupMs, api.startupMs), idleRssMb: Math.min(best.idleRssMb, rss) };
    } finally {
      await api.stop();
    }
  }
  return best;
}
