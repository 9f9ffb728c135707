import { describe, expect, it } from 'vitest';
import { expectSurvived } from './expect-survived.ts';
import { CLIENT_TIMEOUT_MS } from './flash-sale-load.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { ServiceProcess, sleep } from './harness.ts';
import { runScenario } from './scenario.ts';

/**
 * Two API processes and one worker, each a real `flashsale` process, under a flash sale of 200
 * concurrent buyers while one fault strikes. After each: no oversell at any sampled moment, every
 * hold final within its TTL plus a bound, Redis equal to the database, `flashsale check` exits 0,
 * nothing acknowledged lost, and every failed request a clear 503 problem or a refused connection
 * to the process that was down, never a hang.
 */
const BUYERS = 200;
const TTL_SECONDS = 3;

describe('a flash sale across two API processes and a worker survives', () => {
  it('kill -9 of one API process mid-sale, then its restart', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'api-kill',
      redis: new RedisServer(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 8_000,
      fault: async (cluster) => {
        await sleep(2_500);
        const from = Date.now();
        await cluster.apis[0]!.kill9();
        await sleep(2_000);
        cluster.apis[0] = new ServiceProcess('serve', cluster.env, cluster.apis[0]!.port);
        await cluster.apis[0].start();
        return { down: [{ api: 0, from, to: Date.now() }] };
      },
    });
    expectSurvived(s);
    expect(s.requests.connectionFailures).toBeGreaterThan(0);
  });

  it('kill -9 of the worker for twice the hold TTL, then its restart', async ({ annotate }) => {
    const downMs = TTL_SECONDS * 2_000;
    const s = await runScenario({
      annotate,
      name: 'worker-kill',
      redis: new RedisServer(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 9_000,
      fault: async (cluster) => {
        await sleep(1_000);
        await cluster.worker.kill9();
        await sleep(downMs);
        cluster.worker = new ServiceProcess('worker', cluster.env);
        await cluster.worker.start();
        return {};
      },
    });
    // Holds that fell due while no worker ran were expired on time by the sweepers of the API
    // processes: the expiry bound holds from expires_at itself, not from the worker's return.
    expectSurvived(s);
    expect(s.lags.byPath['sweeper'] ?? 0, 'holds the API processes swept while no worker ran').toBeGreaterThan(0);
  });

  it('FLUSHALL on Redis mid-sale: mirror, idempotency keys and expiry jobs all gone', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'redis-flushall',
      redis: new RedisServer(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 8_000,
      fault: async (cluster) => {
        const flush = async () => {
          const { Redis } = await import('ioredis');
          const r = new Redis(cluster.redis.url);
          await r.flushall();
          r.disconnect();
        };
        await sleep(2_000);
        await flush();
        await sleep(2_000);
        await flush();
        return {};
      },
    });
    expectSurvived(s);
  });

  it('Redis killed mid-sale, down for longer than a client waits, and restarted empty', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'redis-restart',
      redis: new RedisServer(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 16_000,
      fault: async (cluster) => {
        await sleep(2_500);
        await cluster.redis.stop();
        await sleep(CLIENT_TIMEOUT_MS + 1_000);
        await cluster.redis.start();
        return {};
      },
    });
    expectSurvived(s);
  });

  it('PostgreSQL backends of every process terminated mid-sale, three times', async ({ annotate }) => {
    let terminated = 0;
    const s = await runScenario({
      annotate,
      name: 'pg-terminate',
      redis: new RedisServer(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 8_000,
      fault: async (cluster) => {
        for (let i = 0; i < 3; i++) {
          await sleep(1_500);
          terminated += await cluster.db.terminateServiceBackends();
        }
        return {};
      },
    });
    expectSurvived(s);
    expect(terminated).toBeGreaterThan(0);
  });
});
