import { afterEach, describe, expect, it } from 'vitest';
import { InProcessExpiryScheduler } from '../../src/adapters/expiry/in-process-scheduler.ts';
import { InProcessWebhookIdempotencyCache } from '../../src/adapters/in-process/webhook-idempotency-cache.ts';
import { InProcessStockMirror } from '../../src/adapters/in-process/stock-mirror.ts';
import { countBy, eventually, TestService, type TestServiceOptions } from '../helpers/service.ts';

/**
 * The embedded shape's guarantees, end to end over HTTP against the real test PostgreSQL, with the
 * in-process stand-ins in place of Redis and BullMQ (no REDIS_URL): no oversell, expiry on time
 * through the in-process queue and through the sweeper, webhook idempotency.
 */
describe('without REDIS_URL: in-process mirror, idempotency cache and expiry queue', () => {
  let svc: TestService;
  afterEach(() => svc.close());

  const start = (opts: TestServiceOptions = {}) => TestService.start({ ...opts, env: { REDIS_URL: '', ...opts.env } });
  const holdRow = async (holdId: string) =>
    (await svc.rt.pool.query('select status, ended_by from holds where id = $1', [holdId])).rows[0];

  it('runs on the stand-ins, and reports them ready', async () => {
    svc = await start();
    expect(svc.rt.redis).toBeNull();
    expect(svc.rt.ctx.mirror).toBeInstanceOf(InProcessStockMirror);
    expect(svc.rt.ctx.webhookIdempotency).toBeInstanceOf(InProcessWebhookIdempotencyCache);
    expect(svc.rt.ctx.expiry).toBeInstanceOf(InProcessExpiryScheduler);
    const ready = await svc.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'ok', redis: 'ok', queue: 'ok' });
  });

  it('500 buyers, 50 units: exactly 50 holds, 450 rejections, stock 0 in the database and the mirror', async () => {
    svc = await start();
    const productId = await svc.createProduct(50);
    const results = await Promise.all(
      Array.from({ length: 500 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 50, 409: 450 });
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.hold_id)).size).toBe(50);
    expect(await svc.dbAvailable(productId)).toBe(0);
    expect(await svc.mirrorAvailable(productId)).toBe(0);
    expect(await svc.scheduledExpiries()).toBe(50);
    await svc.expectInvariants([productId]);
  });

  it('a sold-out product is refused from the in-process mirror without a database connection', async () => {
    // No sweeper or reconciler: they use the same pool on their own schedule.
    svc = await start({ worker: 'none' });
    const productId = await svc.createProduct(1);
    await svc.placeHold(productId, 1);
    let acquired = 0;
    const onAcquire = () => acquired++;
    svc.rt.pool.on('acquire', onAcquire);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    svc.rt.pool.off('acquire', onAcquire);
    expect(countBy(results, (r) => r.status)).toEqual({ 409: 50 });
    expect(acquired).toBe(0);
  });

  it('a hold left alone expires on time through the in-process queue; stock returns everywhere', async () => {
    // The sweeper is slowed right down so that only the job can expire the hold in time.
    // A database of its own: the expiry alarm of this service would also end the hold if another
    // test's hold fell due just after it (decision 27).
    svc = await start({ holdTtlSeconds: 1, sweepIntervalMs: 600_000, ownDatabase: true });
    const productId = await svc.createProduct(5);
    const holdId = await svc.placeHold(productId, 2);
    expect(await svc.scheduledExpiries()).toBe(1);
    const started = Date.now();
    await eventually(
      () => holdRow(holdId),
      (h) => h.status === 'expired',
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await holdRow(holdId)).toEqual({ status: 'expired', ended_by: 'job' });
    expect(await svc.dbAvailable(productId)).toBe(5);
    expect(await svc.mirrorAvailable(productId)).toBe(5);
    await eventually(
      () => svc.scheduledExpiries(),
      (d) => d === 0,
      2_000,
    );
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(409);
    expect(order.body.type).toMatch(/\/hold-expired$/);
    await svc.expectInvariants([productId]);
  });

  it('an order left unpaid is cancelled at its deadline through the in-process queue; a late payment owes a refund', async () => {
    svc = await start({ sweepIntervalMs: 600_000, env: { ORDER_PAYMENT_TTL_SECONDS: '1', DATABASE_POOL_SIZE: '10' } });
    const productId = await svc.createProduct(5);
    const order = await svc.post('/api/orders', { hold_id: await svc.placeHold(productId, 2) });
    expect(order.status).toBe(201);
    const orderId = order.body.order_id as number;
    const row = async () =>
      (await svc.rt.pool.query('select payment_status, cancelled_by from orders where id = $1', [orderId])).rows[0];
    await eventually(row, (o) => o.payment_status === 'cancelled', 5_000);
    expect(await row()).toEqual({ payment_status: 'cancelled', cancelled_by: 'job' });
    expect(await svc.dbAvailable(productId)).toBe(5);
    expect(await svc.mirrorAvailable(productId)).toBe(5);
    const late = await svc.post('/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: `ip-${orderId}`,
    });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ payment_status: 'cancelled', refund_due: true });
    await svc.expectInvariants([productId]);
  });

  it('holds whose jobs were lost (a restart drops in-process jobs) are expired by the sweeper', async () => {
    svc = await start({ holdTtlSeconds: 1, worker: 'none', sweepIntervalMs: 200 });
    const productId = await svc.createProduct(6);
    const holds = await Promise.all(Array.from({ length: 3 }, () => svc.placeHold(productId, 2)));
    expect(await svc.scheduledExpiries()).toBe(3);
    // What a process exit does to the in-process queue.
    await svc.rt.scheduler.close();
    expect(await svc.scheduledExpiries()).toBe(0);
    svc.startWorker();
    for (const holdId of holds) {
      await eventually(
        () => holdRow(holdId),
        (h) => h.status === 'expired',
        5_000,
      );
      expect(await holdRow(holdId)).toEqual({ status: 'expired', ended_by: 'sweeper' });
    }
    expect(await svc.dbAvailable(productId)).toBe(6);
    await eventually(
      () => svc.mirrorAvailable(productId),
      (v) => v === 6,
      2_000,
    );
    await svc.expectInvariants([productId]);
  });

  it('payment webhooks apply once: 50 concurrent repeats, a reused key, and a replay after the cache is gone', async () => {
    svc = await start();
    const productId = await svc.createProduct(10);
    const holdId = await svc.placeHold(productId, 3);
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(201);
    const orderId = order.body.order_id as number;
    const webhook = (payment_status: string, idempotency_key: string) =>
      svc.post('/api/payments/webhook', { order_id: orderId, payment_status, idempotency_key });

    const results = await Promise.all(Array.from({ length: 50 }, () => webhook('failed', `fail-${orderId}`)));
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 50 });
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
    expect(results.every((r) => r.body.payment_status === 'failed')).toBe(true);
    expect(await svc.dbAvailable(productId)).toBe(10);
    expect(await svc.mirrorAvailable(productId)).toBe(10);

    const reused = await webhook('paid', `fail-${orderId}`);
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);

    // A terminal status never changes, whatever the key.
    const late = await webhook('paid', `pay-${orderId}`);
    expect(late.status).toBe(200);
    expect(late.body.payment_status).toBe('failed');

    // The in-process cache is lost with the process; the database still answers the replay.
    svc.rt.ctx.webhookIdempotency = new InProcessWebhookIdempotencyCache();
    const replay = await webhook('failed', `fail-${orderId}`);
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(results[0]!.body);
    const { rows } = await svc.rt.pool.query(
      `select count(*)::int as n from stock_movements where product_id = $1 and reason = 'payment_failed'`,
      [productId],
    );
    expect(rows[0].n).toBe(1);
    await svc.expectInvariants([productId]);
  });
});
