import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BullMqExpiryScheduler } from '../../src/adapters/expiry/bullmq-scheduler.ts';
import { OutageLog } from '../../src/adapters/outage-log.ts';
import { createPool } from '../../src/adapters/postgres/db.ts';
import { createRedis, type RedisClient } from '../../src/adapters/redis/client.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { RedisServer } from '../helpers/redis-server.ts';

/** A logger that keeps what it was told. */
function recordingLog() {
  const lines: { level: 'info' | 'error'; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    info: (obj: object, msg = '') => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg = '') => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
}

describe('OutageLog', () => {
  it('logs the first error of an outage and the recovery, and counts the errors between', () => {
    const log = recordingLog();
    let now = 1_000;
    const outage = new OutageLog(log, 'Redis', () => now);
    outage.recovered(); // nothing was down: nothing to say
    for (let i = 0; i < 50; i++) outage.failed(new Error(`attempt ${i}`));
    now = 4_500;
    outage.recovered();
    outage.failed(new Error('again'));
    outage.recovered();
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'Redis: connection failed; further errors are counted until it is back'],
      ['info', 'Redis: back after 3500 ms (50 errors)'],
      ['error', 'Redis: connection failed; further errors are counted until it is back'],
      ['info', 'Redis: back after 0 ms (1 errors)'],
    ]);
  });
});

/**
 * A dead Redis or PostgreSQL must show in the log when it happens, not only when requests fail,
 * and a reconnecting client must not log every attempt.
 */
describe('clients report an outage once, and the recovery', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  });

  it('Redis: the request connection and the expiry queue, through a restart of the server', async () => {
    const server = new RedisServer(await freePort());
    await server.start();
    closers.push(() => server.stop());
    const clientLog = recordingLog();
    const queueLog = recordingLog();
    const redis = createRedis(server.url, {}, { log: clientLog, name: 'Redis' });
    const queueRedis: RedisClient = createRedis(server.url);
    const scheduler = new BullMqExpiryScheduler(queueRedis, 'outage-test:', queueLog);
    closers.push(
      async () => redis.disconnect(),
      async () => queueRedis.disconnect(),
      () => scheduler.close(),
    );
    await vi.waitFor(async () => expect(await scheduler.depth()).toBe(0), { timeout: 10_000 });

    await server.stop();
    // Reconnection attempts fail again and again while it is down.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(clientLog.lines.map((l) => l.level)).toEqual(['error']);
    expect(queueLog.lines.map((l) => l.level)).toEqual(['error']);

    await server.start();
    await vi.waitFor(
      () => {
        expect(clientLog.lines.map((l) => l.level)).toEqual(['error', 'info']);
        expect(queueLog.lines.map((l) => l.level)).toEqual(['error', 'info']);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(clientLog.lines[1]!.obj['errors']).toBeGreaterThan(1);
    expect(await redis.ping()).toBe('PONG');
  });

  it('PostgreSQL: idle connections killed at once are one outage, over when a connection succeeds again', async () => {
    const log = recordingLog();
    const name = `flashsale-outage-${process.pid}`;
    const pool = createPool({ connectionString: TEST_DATABASE_URL, max: 3, applicationName: name, log });
    closers.push(() => pool.end());
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of clients) c.release();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    closers.push(() => admin.end());
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name]);
    await vi.waitFor(() => expect(pool.idleCount).toBe(0), { timeout: 5_000 });
    expect(log.lines.map((l) => l.level)).toEqual(['error']);

    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(log.lines.map((l) => l.level)).toEqual(['error', 'info']);
    expect(log.lines[1]!.obj['errors']).toBe(3);
  });
});
