import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { eventually } from '../helpers/service.ts';

type LogLine = { level: number; msg?: string; reqId?: string; req?: unknown; res?: unknown };

/** The real service with its logs captured as parsed JSON lines, against a Redis it may kill. */
async function startService(env: { DATABASE_URL: string; REDIS_URL: string }) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const config = loadConfig({ ...env, REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:`, LOG_LEVEL: 'info' });
  const rt: Runtime = createRuntime(config, log);
  const app = await buildApp(
    { ctx: rt.ctx, guards: rt.guards, catalog: rt.catalog, webhookSecrets: [], readiness: rt.readiness },
    { logger: log },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  return {
    rt,
    lines,
    call,
    async close() {
      await app.close();
      await rt.close();
    },
  };
}

describe('health, request ids and logs, with a Redis that goes down', () => {
  const redis = new RedisServer();
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    await redis.start();
    svc = await startService({ DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await svc?.close();
    await redis.stop();
  });

  it('is live and ready while PostgreSQL, Redis and the queue answer', async () => {
    expect(await svc.call('GET', '/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await svc.call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', queue: 'ok' } });
  });

  it('answers every request with an x-request-id, keeping a sane one from the caller', async () => {
    const mine = await svc.call('GET', '/health/live', undefined, { 'x-request-id': 'lb-7f3a.1:9' });
    expect(mine.headers.get('x-request-id')).toBe('lb-7f3a.1:9');
    const fresh = await svc.call('GET', '/api/products/999999999');
    expect(fresh.status).toBe(404);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.body.request_id).toBe(fresh.headers.get('x-request-id'));
    for (const bad of ['has space', 'x'.repeat(129), '<script>', 'a\u00e9']) {
      const res = await svc.call('GET', '/health/live', undefined, {
        'x-request-id': encodeURI(bad) === bad ? bad : 'has space',
      });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs JSON lines, each line of a request with its id', async () => {
    const before = svc.lines.length;
    await svc.call('GET', '/health/live', undefined, { 'x-request-id': 'trace-me-1' });
    const mine = svc.lines.slice(before).filter((l) => l.reqId === 'trace-me-1');
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    for (const l of svc.lines.filter((l) => l.req !== undefined || l.res !== undefined)) {
      expect(l.reqId, JSON.stringify(l)).toEqual(expect.any(String));
    }
  });

  it('with Redis down: not ready (503), still live, and what a use case logs carries the request id', async () => {
    const product = await insertProduct(svc.rt.pool, { name: 'ops', price: 5, stock: 3 });
    const hold = await svc.call('POST', '/api/holds', { product_id: product.id, quantity: 1 });
    const order = await svc.call('POST', '/api/orders', { hold_id: hold.body.hold_id });
    expect(order.status).toBe(201);

    await redis.stop();
    const ready = await svc.call('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('unavailable');
    expect(ready.body.checks.postgres).toBe('ok');
    expect(ready.body.checks.redis).toMatch(/^unavailable/);
    expect(ready.body.checks.queue).toMatch(/^unavailable/);
    expect((await svc.call('GET', '/health/live')).status).toBe(200);

    // The payment still applies (PostgreSQL decides); caching its response in Redis fails and is logged.
    const before = svc.lines.length;
    const paid = await svc.call(
      'POST',
      '/api/payments/webhook',
      { order_id: order.body.order_id, payment_status: 'paid', idempotency_key: `ops-${order.body.order_id}` },
      { 'x-request-id': 'pay-while-redis-is-down' },
    );
    expect(paid.status).toBe(200);
    const warning = svc.lines.slice(before).find((l) => l.msg === 'could not cache webhook response; the database still has it');
    expect(warning).toBeDefined();
    expect(warning!.reqId).toBe('pay-while-redis-is-down');

    await redis.start();
    const back = await eventually(
      () => svc.call('GET', '/health/ready'),
      (r) => r.status === 200,
      15_000,
      200,
    );
    expect(back.body.checks).toEqual({ postgres: 'ok', redis: 'ok', queue: 'ok' });
  });
});

describe('health with PostgreSQL unreachable', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  const redis = new RedisServer();
  beforeAll(async () => {
    await redis.start();
    // A port free a moment ago: nothing listens there.
    const deadPgPort = await freePort();
    svc = await startService({ DATABASE_URL: `postgres://postgres@127.0.0.1:${deadPgPort}/none`, REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await svc?.close();
    await redis.stop();
  });

  it('is live but not ready, and says which dependency is down', async () => {
    expect((await svc.call('GET', '/health/live')).status).toBe(200);
    const ready = await svc.call('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres).toMatch(/^unavailable/);
    expect(ready.body.checks.redis).toBe('ok');
    expect(ready.body.checks.queue).toBe('ok');
  });
});
