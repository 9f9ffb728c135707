import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { parseMetrics } from '../helpers/metrics.ts';
import { eventually, TestService } from '../helpers/service.ts';

async function scrape(svc: TestService): Promise<Map<string, number>> {
  const res = await svc.get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.body as string);
}

/** How much each series grew while `action` ran. */
async function growth(svc: TestService, action: () => Promise<unknown>): Promise<(series: string) => number> {
  const before = await scrape(svc);
  await action();
  const after = await scrape(svc);
  return (series) => {
    if (!after.has(series)) throw new Error(`no series ${series} in /metrics`);
    return after.get(series)! - (before.get(series) ?? 0);
  };
}

describe('GET /metrics with the worker running', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Its own database: expiries are counted per process, and its sweeper would expire other files' holds.
    svc = await TestService.start({ holdTtlSeconds: 1, sweepIntervalMs: 200, reconcileIntervalMs: 200, ownDatabase: true });
  });
  afterAll(() => svc.close());

  it('counts holds placed, rejected by reason, released, orders and webhooks by outcome', async () => {
    const id = await svc.createProduct(5, 3);
    const grew = await growth(svc, async () => {
      const [a, b] = [await svc.placeHold(id, 2), await svc.placeHold(id, 1)];
      expect((await svc.post('/api/holds', { product_id: id, quantity: 5 })).status).toBe(409); // mirror says 2
      expect((await svc.post('/api/holds', { product_id: 999_999_999, quantity: 1 })).status).toBe(404);
      expect((await svc.del(`/api/holds/${b}`)).status).toBe(200);
      const order = await svc.post('/api/orders', { hold_id: a });
      const webhook = { order_id: order.body.order_id, payment_status: 'paid', idempotency_key: `m-${order.body.order_id}` };
      expect((await svc.post('/api/payments/webhook', webhook)).status).toBe(200);
      expect((await svc.post('/api/payments/webhook', webhook)).headers['idempotent-replayed']).toBe('true');
      expect((await svc.post('/api/payments/webhook', { ...webhook, payment_status: 'failed' })).status).toBe(422);
    });
    expect(grew('flashsale_holds_created_total')).toBe(2);
    expect(grew('flashsale_held_units_total')).toBe(3);
    expect(grew('flashsale_holds_rejected_total{reason="insufficient_stock_mirror"}')).toBe(1);
    expect(grew('flashsale_holds_rejected_total{reason="product_not_found"}')).toBe(1);
    expect(grew('flashsale_holds_rejected_total{reason="insufficient_stock_db"}')).toBe(0);
    expect(grew('flashsale_holds_released_total')).toBe(1);
    expect(grew('flashsale_orders_created_total')).toBe(1);
    expect(grew('flashsale_webhooks_total{outcome="applied"}')).toBe(1);
    expect(grew('flashsale_webhooks_total{outcome="replayed"}')).toBe(1);
    expect(grew('flashsale_webhooks_total{outcome="key_reused"}')).toBe(1);
    expect(grew('flashsale_http_request_duration_seconds_count{method="POST",route="/api/holds",status_code="201"}')).toBe(2);
    expect(grew('flashsale_http_request_duration_seconds_count{method="POST",route="/api/holds",status_code="409"}')).toBe(1);
    expect(
      grew('flashsale_http_request_duration_seconds_count{method="DELETE",route="/api/holds/:hold_id",status_code="200"}'),
    ).toBe(1);
    expect(
      grew('flashsale_http_request_duration_seconds_count{method="POST",route="/api/payments/webhook",status_code="422"}'),
    ).toBe(1);
  });

  it('times each answer once, under its route pattern: a read, a 404 of a known route, HEAD, the documentation', async () => {
    const id = await svc.createProduct(2);
    const grew = await growth(svc, async () => {
      expect((await svc.get(`/api/products/${id}`)).status).toBe(200);
      expect((await svc.get('/api/products/999999999')).status).toBe(404);
      const head = await request(`${svc.url}/api/products/${id}`, { method: 'HEAD', dispatcher: svc.agent });
      await head.body.dump();
      expect(head.statusCode).toBe(200);
      expect((await svc.get('/docs/json')).status).toBe(200);
    });
    const count = (method: string, route: string, status: number) =>
      grew(`flashsale_http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`);
    expect(count('GET', '/api/products/:id', 200)).toBe(1);
    expect(count('GET', '/api/products/:id', 404)).toBe(1);
    expect(count('HEAD', '/api/products/:id', 200)).toBe(1);
    expect(count('GET', '/docs/json', 200)).toBe(1);
  });

  it('times unknown routes under one label rather than one series per URL', async () => {
    const grew = await growth(svc, async () => {
      for (const path of ['/nope/1', '/nope/2', '/nope/3']) expect((await svc.get(path)).status).toBe(404);
    });
    expect(grew('flashsale_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}')).toBe(3);
  });

  it('reports available stock per product from the database', async () => {
    const id = await svc.createProduct(8);
    const holdId = await svc.placeHold(id, 3);
    expect((await scrape(svc)).get(`flashsale_product_available_stock{product_id="${id}"}`)).toBe(5);
    await svc.del(`/api/holds/${holdId}`); // so that no expiry of it is counted by the next test
    expect((await scrape(svc)).get(`flashsale_product_available_stock{product_id="${id}"}`)).toBe(8);
  });

  it('counts expiries by path with their lag: the job on time, the sweeper when the job is lost', async () => {
    const id = await svc.createProduct(5);
    const holds: string[] = [];
    const grew = await growth(svc, async () => {
      holds.push(await svc.placeHold(id, 1));
      holds.push(await svc.placeHold(id, 1));
      await svc.rt.scheduler.cancel(holds[1]!); // its job is gone: only the sweeper can expire it
      await eventually(
        () => svc.dbAvailable(id),
        (a) => a === 5,
      );
    });
    // The sweeper may beat a job by a few milliseconds, so the database says which path won.
    const { rows } = await svc.rt.pool.query<{ id: string; ended_by: string }>(
      'select id, ended_by from holds where id = any($1::uuid[])',
      [holds],
    );
    const byPath = (path: string) => rows.filter((r) => r.ended_by === path).length;
    expect(rows.find((r) => r.id === holds[1])!.ended_by).toBe('sweeper');
    expect(byPath('job') + byPath('sweeper')).toBe(2);
    for (const path of ['job', 'sweeper']) {
      expect(grew(`flashsale_holds_expired_total{path="${path}"}`)).toBe(byPath(path));
      expect(grew(`flashsale_hold_expiry_lag_seconds_count{path="${path}"}`)).toBe(byPath(path));
    }
    // The sweeper runs every 200 ms, so its holds expired well within 2 s of expires_at.
    expect(grew('flashsale_hold_expiry_lag_seconds_bucket{le="2",path="sweeper"}')).toBe(byPath('sweeper'));
  });

  it('counts the mirror drift the reconciler repairs', async () => {
    const id = await svc.createProduct(6);
    // Wait until the reconciler has mirrored every product once, so only our drift remains.
    await eventually(
      () => svc.mirrorAvailable(id),
      (v) => v === 6,
    );
    await new Promise((r) => setTimeout(r, 500));
    const grew = await growth(svc, async () => {
      await svc.redis.set(stockKey(svc.config.REDIS_PREFIX, id), '999');
      await eventually(
        () => svc.mirrorAvailable(id),
        (v) => v === 6,
      );
    });
    expect(grew('flashsale_mirror_repairs_total')).toBe(1);
  });
});

describe('GET /metrics without a worker', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ holdTtlSeconds: 1, worker: 'none', ownDatabase: true });
  });
  afterAll(() => svc.close());

  it('reports the expiry queue depth', async () => {
    const id = await svc.createProduct(5);
    const before = (await scrape(svc)).get('flashsale_expiry_queue_depth');
    await svc.placeHold(id, 1);
    await svc.placeHold(id, 1);
    expect(before).toBe(0);
    expect((await scrape(svc)).get('flashsale_expiry_queue_depth')).toBe(2);
  });

  it('counts a hold expired by the request that found it overdue', async () => {
    const id = await svc.createProduct(5);
    const grew = await growth(svc, async () => {
      const holdId = await svc.placeHold(id, 1);
      await new Promise((r) => setTimeout(r, 1_100));
      const res = await svc.post('/api/orders', { hold_id: holdId });
      expect(res.status).toBe(409);
      expect(res.body.type).toMatch(/\/hold-expired$/);
    });
    expect(grew('flashsale_holds_expired_total{path="request"}')).toBe(1);
    expect(grew('flashsale_hold_expiry_lag_seconds_count{path="request"}')).toBe(1);
  });
});
