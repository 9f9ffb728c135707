import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqExpiryScheduler } from '../../src/adapters/expiry/bullmq-scheduler.ts';
import { createRedis, redisReady, type RedisClient } from '../../src/adapters/redis/client.ts';
import { freePort } from '../helpers/free-port.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { eventually } from '../helpers/service.ts';

describe('the expiry queue after its first connection check failed', () => {
  let server: RedisServer;
  let redis: RedisClient;

  beforeAll(async () => {
    server = new RedisServer(await freePort());
    await server.start();
    redis = createRedis(server.url);
    await redisReady(redis);
  });

  afterAll(async () => {
    server.resume();
    redis.disconnect();
    await server.stop();
  });

  it('schedules jobs again once Redis answers, instead of failing for the life of the process', async () => {
    // BullMQ's check (an INFO) is sent when the queue is made; a frozen Redis lets it time out.
    server.pause();
    const scheduler = new BullMqExpiryScheduler(redis, 'recovery:bull');
    await new Promise((r) => setTimeout(r, 3_000));
    await expect(scheduler.schedule(randomUUID(), 60_000)).rejects.toThrow();
    server.resume();

    const holdId = randomUUID();
    await eventually(
      () =>
        scheduler.schedule(holdId, 60_000).then(
          () => true,
          () => false,
        ),
      (scheduled) => scheduled,
      15_000,
    );
    const job = await scheduler.queue.getJob(holdId);
    expect(job?.id).toBe(holdId);
    await scheduler.close();
  });

  it('gives up on a job Redis does not answer after a second, so the hold is answered and left to the sweeper', async () => {
    const scheduler = new BullMqExpiryScheduler(redis, 'timeout:bull');
    await scheduler.queue.waitUntilReady();
    await scheduler.schedule(randomUUID(), 60_000);
    server.pause();
    const started = performance.now();
    try {
      await expect(scheduler.schedule(randomUUID(), 60_000)).rejects.toThrow('scheduling hold expiry timed out after 1000 ms');
      // Before the connection's own command timeout (2 s) would have failed it.
      expect(performance.now() - started).toBeLessThan(1_900);
    } finally {
      server.resume();
    }
    const holdId = randomUUID();
    await scheduler.schedule(holdId, 60_000);
    expect((await scheduler.queue.getJob(holdId))?.id).toBe(holdId);
    await scheduler.close();
  });
});
