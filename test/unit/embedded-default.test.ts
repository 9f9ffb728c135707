import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessExpiryScheduler } from '../../src/adapters/expiry/in-process-scheduler.ts';
import { InProcessWebhookIdempotencyCache } from '../../src/adapters/in-process/webhook-idempotency-cache.ts';
import { ConfigError, deploymentShape, loadConfig } from '../../src/config.ts';

describe('the embedded default in the configuration', () => {
  it('keeps data in ./.data on port 5433 unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ DATA_DIR: './.data', EMBEDDED_POSTGRES_PORT: 5433 });
    expect(loadConfig({ DATA_DIR: '/srv/flashsale', EMBEDDED_POSTGRES_PORT: '5450' })).toMatchObject({
      DATA_DIR: '/srv/flashsale',
      EMBEDDED_POSTGRES_PORT: 5450,
    });
  });

  it('falls back per URL: each unset one is replaced on its own', () => {
    const db = 'postgres://u@h:5432/d';
    const redis = 'redis://h:6379';
    expect(deploymentShape(loadConfig({}))).toEqual({ database: 'embedded', redis: 'in-process' });
    expect(deploymentShape(loadConfig({ DATABASE_URL: db }))).toEqual({ database: 'url', redis: 'in-process' });
    expect(deploymentShape(loadConfig({ REDIS_URL: redis }))).toEqual({ database: 'embedded', redis: 'url' });
    expect(deploymentShape(loadConfig({ DATABASE_URL: db, REDIS_URL: redis }))).toEqual({ database: 'url', redis: 'url' });
    // An empty value counts as unset.
    expect(deploymentShape(loadConfig({ DATABASE_URL: '', REDIS_URL: '' }))).toEqual({
      database: 'embedded',
      redis: 'in-process',
    });
  });

  it('refuses a bad port', () => {
    expect(() => loadConfig({ EMBEDDED_POSTGRES_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ EMBEDDED_POSTGRES_PORT: 'five' })).toThrow(/EMBEDDED_POSTGRES_PORT/);
  });
});

describe('in-process stand-ins, over long spans of time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the idempotency cache drops expired entries so a long-lived process does not grow without end', async () => {
    let now = 0;
    const cache = new InProcessWebhookIdempotencyCache(() => now);
    for (let i = 0; i < 100; i++) await cache.put(`k${i}`, { fingerprint: 'f', status: 200, body: {} }, 24 * 3600);
    now = 24 * 3600 * 1000 - 1;
    expect(await cache.get('k1')).not.toBeNull();
    now = 24 * 3600 * 1000;
    expect(await cache.get('k1')).toBeNull();
    await cache.put('fresh', { fingerprint: 'f', status: 200, body: {} }, 60);
    expect(cache.size).toBe(1);
  });

  it('a job that keeps failing is given up after 5 attempts, reported, and no longer counted', async () => {
    vi.useFakeTimers();
    const scheduler = new InProcessExpiryScheduler();
    let attempts = 0;
    const failed: string[] = [];
    const consumer = scheduler.consume(
      async () => {
        attempts++;
        throw new Error('always');
      },
      { concurrency: 1, onFailed: (holdId) => failed.push(holdId) },
    );
    await scheduler.schedule('hold-doomed', 0);
    // 0 ms, then backoffs of 500, 1000, 2000 and 4000 ms.
    await vi.advanceTimersByTimeAsync(7_400);
    expect(attempts).toBe(4);
    expect(await scheduler.depth()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(attempts).toBe(5);
    expect(failed).toEqual(['hold-doomed']);
    expect(await scheduler.depth()).toBe(0);
    await consumer.close();
  });

  it('a job answering "not due yet" runs again after the time it asked for, without using an attempt', async () => {
    vi.useFakeTimers();
    const scheduler = new InProcessExpiryScheduler();
    const runs: number[] = [];
    const consumer = scheduler.consume(
      async () => {
        runs.push(Date.now());
        if (runs.length < 8) return { retryInMs: 100 };
      },
      { concurrency: 1 },
    );
    const start = Date.now();
    await scheduler.schedule('hold-early', 0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs.map((t) => t - start)).toEqual([0, 100, 200, 300, 400, 500, 600, 700]);
    expect(await scheduler.depth()).toBe(0);
    await consumer.close();
  });
});
