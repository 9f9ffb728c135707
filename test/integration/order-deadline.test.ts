import { afterEach, describe, expect, it } from 'vitest';
import { cancelOverdueOrders } from '../../src/app/expiry/cancel-unpaid-orders.ts';
import { paymentDeadlineJobId } from '../../src/domain/order.ts';
import { parseMetrics } from '../helpers/metrics.ts';
import { countBy, eventually, TestService, type TestServiceOptions } from '../helpers/service.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * I9: an order still `created` at its payment_due_at is cancelled and its stock returns exactly
 * once, by its deadline job, by the sweeper when the job is lost, or by the request that reads or
 * pays it first. A payment after that leaves it cancelled and marks it refund_due, once.
 */
describe('unpaid orders at their payment deadline', () => {
  let svc: TestService;
  afterEach(() => svc.close());

  // Its own database: the sweeper cancels every overdue order there, and the metrics count per process.
  const start = (ttlSeconds: number, opts: TestServiceOptions = {}) =>
    TestService.start({
      ownDatabase: true,
      ...opts,
      env: { ORDER_PAYMENT_TTL_SECONDS: String(ttlSeconds), DATABASE_POOL_SIZE: '10', ...opts.env },
    });

  const orderRow = async (orderId: number) =>
    (
      await svc.rt.pool.query(
        `select payment_status, cancelled_by, refund_due, payment_due_at - created_at as ttl from orders where id = $1`,
        [orderId],
      )
    ).rows[0];

  async function orderOf(lines: { product_id: number; quantity: number }[]): Promise<number> {
    const hold = await svc.post('/api/holds', { items: lines });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    return order.body.order_id as number;
  }

  /** The audit trail adds up to the stock: every movement of the product summed is its available stock. */
  async function expectMovementsAddUp(productId: number): Promise<void> {
    const { rows } = await svc.rt.pool.query(
      `select coalesce(sum(delta), 0)::int as sum, (select available from products where id = $1) as available
         from stock_movements where product_id = $1`,
      [productId],
    );
    expect(rows[0].sum).toBe(rows[0].available);
  }

  const movements = async (orderId: number) =>
    (
      await svc.rt.pool.query(
        `select product_id::int, delta, reason from stock_movements where order_id = $1 order by product_id, id`,
        [orderId],
      )
    ).rows;

  const metric = async (series: string): Promise<number> =>
    parseMetrics((await svc.get('/metrics')).body as string).get(series) ?? Number.NaN;

  it('a cart order left unpaid is cancelled on time by its job; every line comes back once, to the database and Redis', async () => {
    // The sweeper is slowed right down so that only the job can cancel the order in time. Three
    // seconds of payment time: the order must still be `created` when it is first read, which one
    // second did not leave room for on a loaded machine.
    svc = await start(3, { sweepIntervalMs: 600_000 });
    const [a, b] = [await svc.createProduct(5), await svc.createProduct(3)];
    const orderId = await orderOf([
      { product_id: a, quantity: 2 },
      { product_id: b, quantity: 3 },
    ]);
    const created = await svc.get(`/api/orders/${orderId}`);
    expect(created.body.payment_status).toBe('created');
    expect(created.body.refund_due).toBe(false);
    expect(Date.parse(created.body.payment_due_at) - Date.parse(created.body.created_at)).toBe(3_000);
    // The order's deadline job alone (the hold's was cancelled when it became the order).
    await eventually(
      () => svc.scheduledExpiries(),
      (n) => n === 1,
      2_000,
    );
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([3, 0]);

    await eventually(
      () => orderRow(orderId),
      (o) => o.payment_status === 'cancelled',
      8_000,
    );
    expect(await orderRow(orderId)).toMatchObject({ payment_status: 'cancelled', cancelled_by: 'job', refund_due: false });
    expect([await svc.dbAvailable(a), await svc.dbAvailable(b)]).toEqual([5, 3]);
    expect([await svc.mirrorAvailable(a), await svc.mirrorAvailable(b)]).toEqual([5, 3]);
    expect(await movements(orderId)).toEqual([
      { product_id: a, delta: 2, reason: 'order_cancelled' },
      { product_id: b, delta: 3, reason: 'order_cancelled' },
    ]);
    const shown = await svc.get(`/api/orders/${orderId}`);
    expect(shown.body).toMatchObject({
      payment_status: 'cancelled',
      refund_due: false,
      payment_due_at: created.body.payment_due_at,
    });
    expect(await metric('flashsale_orders_cancelled_total{path="job"}')).toBe(1);
    for (const id of [a, b]) await expectMovementsAddUp(id);
    await svc.expectInvariants([a, b]);
  });

  it('with no worker at all, the sweeper alone cancels overdue orders, once', async () => {
    svc = await start(1, { worker: 'none' });
    const productId = await svc.createProduct(10);
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await orderOf([{ product_id: productId, quantity: 2 }]));
    expect(await svc.dbAvailable(productId)).toBe(0);
    await sleep(1_200);
    // Nothing processed the jobs: the orders are overdue but still created.
    expect((await orderRow(orders[0]!)).payment_status).toBe('created');

    expect(await cancelOverdueOrders(svc.rt.ctx)).toEqual({ cancelled: 5 });
    expect(await cancelOverdueOrders(svc.rt.ctx)).toEqual({ cancelled: 0 });
    for (const orderId of orders) {
      expect(await orderRow(orderId)).toMatchObject({ payment_status: 'cancelled', cancelled_by: 'sweeper' });
      expect(await movements(orderId)).toEqual([{ product_id: productId, delta: 2, reason: 'order_cancelled' }]);
    }
    expect(await svc.dbAvailable(productId)).toBe(10);
    expect(await svc.mirrorAvailable(productId)).toBe(10);
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('an order whose job was lost is cancelled by the running sweeper within seconds', async () => {
    svc = await start(1, { sweepIntervalMs: 300 });
    const productId = await svc.createProduct(3);
    const orderId = await orderOf([{ product_id: productId, quantity: 3 }]);
    await svc.rt.scheduler.cancel(paymentDeadlineJobId(orderId)); // the job is gone, as after a Redis flush
    await eventually(
      () => orderRow(orderId),
      (o) => o.payment_status === 'cancelled',
      5_000,
    );
    expect((await orderRow(orderId)).cancelled_by).toBe('sweeper');
    expect(await svc.dbAvailable(productId)).toBe(3);
    await eventually(
      () => svc.mirrorAvailable(productId),
      (v) => v === 3,
      2_000,
    );
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('reading an overdue order cancels it before either path ran: 10 readers, one cancellation', async () => {
    svc = await start(1, { worker: 'none' });
    const productId = await svc.createProduct(4);
    const orderId = await orderOf([{ product_id: productId, quantity: 4 }]);
    await sleep(1_100);
    expect((await orderRow(orderId)).payment_status).toBe('created');

    const reads = await Promise.all(Array.from({ length: 10 }, () => svc.get(`/api/orders/${orderId}`)));
    expect(countBy(reads, (r) => `${r.status} ${r.body.payment_status}`)).toEqual({ '200 cancelled': 10 });
    expect(await orderRow(orderId)).toMatchObject({ payment_status: 'cancelled', cancelled_by: 'request' });
    expect(await movements(orderId)).toEqual([{ product_id: productId, delta: 4, reason: 'order_cancelled' }]);
    expect(await svc.dbAvailable(productId)).toBe(4);
    expect(await svc.mirrorAvailable(productId)).toBe(4);
    expect(await metric('flashsale_orders_cancelled_total{path="request"}')).toBe(1);
    // The sweeper, coming later, finds nothing left to do.
    expect(await cancelOverdueOrders(svc.rt.ctx)).toEqual({ cancelled: 0 });
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('a paid webhook for a cancelled order: 200, still cancelled, refund_due, counted once; repeats change nothing', async () => {
    svc = await start(1, { worker: 'none' });
    const productId = await svc.createProduct(5);
    const orderId = await orderOf([{ product_id: productId, quantity: 2 }]);
    await sleep(1_100);
    expect(await cancelOverdueOrders(svc.rt.ctx)).toEqual({ cancelled: 1 });
    const webhook = (payment_status: string, idempotency_key: string) =>
      svc.post('/api/payments/webhook', { order_id: orderId, payment_status, idempotency_key });

    const late = await webhook('paid', `late-${orderId}`);
    expect(late.status).toBe(200);
    expect(late.headers['idempotent-replayed']).toBeUndefined();
    expect(late.body).toMatchObject({ order_id: orderId, payment_status: 'cancelled', refund_due: true });
    const again = await webhook('paid', `late-${orderId}`);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(late.body);
    // The same payment reported under another key, and a failure: nothing more changes.
    expect((await webhook('paid', `late-other-${orderId}`)).body).toMatchObject({
      payment_status: 'cancelled',
      refund_due: true,
    });
    expect((await webhook('failed', `late-failed-${orderId}`)).body).toMatchObject({
      payment_status: 'cancelled',
      refund_due: true,
    });
    expect((await svc.get(`/api/orders/${orderId}`)).body).toMatchObject({ payment_status: 'cancelled', refund_due: true });

    const { rows } = await svc.rt.pool.query(
      `select idempotency_key, outcome from payment_events where order_id = $1 order by id`,
      [orderId],
    );
    expect(rows).toEqual([
      { idempotency_key: `late-${orderId}`, outcome: 'late' },
      { idempotency_key: `late-other-${orderId}`, outcome: 'ignored' },
      { idempotency_key: `late-failed-${orderId}`, outcome: 'ignored' },
    ]);
    expect(await metric('flashsale_late_payments_total')).toBe(1);
    expect(await metric('flashsale_webhooks_total{outcome="late"}')).toBe(1);
    // The stock came back once, with the cancellation; the late payment sold nothing.
    expect(await movements(orderId)).toEqual([{ product_id: productId, delta: 2, reason: 'order_cancelled' }]);
    expect(await svc.dbAvailable(productId)).toBe(5);
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('a failed webhook for a cancelled order changes nothing: still cancelled, no refund due', async () => {
    svc = await start(1, { worker: 'none' });
    const productId = await svc.createProduct(5);
    const orderId = await orderOf([{ product_id: productId, quantity: 1 }]);
    await sleep(1_100);
    expect((await svc.get(`/api/orders/${orderId}`)).body.payment_status).toBe('cancelled');
    const before = await orderRow(orderId);
    const failed = await svc.post('/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'failed',
      idempotency_key: `f-${orderId}`,
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ payment_status: 'cancelled', refund_due: false });
    expect(await orderRow(orderId)).toEqual(before);
    expect(await movements(orderId)).toHaveLength(1);
    expect(await metric('flashsale_late_payments_total')).toBe(0);
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('a paid webhook for an overdue order not yet cancelled cancels it first, then owes a refund', async () => {
    svc = await start(1, { worker: 'none' });
    const productId = await svc.createProduct(5);
    const orderId = await orderOf([{ product_id: productId, quantity: 3 }]);
    await sleep(1_100);
    expect((await orderRow(orderId)).payment_status).toBe('created');
    const paid = await svc.post('/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: `p-${orderId}`,
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ payment_status: 'cancelled', refund_due: true });
    expect(await orderRow(orderId)).toMatchObject({ payment_status: 'cancelled', cancelled_by: 'request', refund_due: true });
    expect(await svc.dbAvailable(productId)).toBe(5);
    expect(await svc.mirrorAvailable(productId)).toBe(5);
    expect(await metric('flashsale_orders_cancelled_total{path="request"}')).toBe(1);
    expect(await metric('flashsale_late_payments_total')).toBe(1);
    await expectMovementsAddUp(productId);
    await svc.expectInvariants([productId]);
  });

  it('paid within the deadline it stays paid: the job finds it decided and sells nothing back', async () => {
    // Three seconds, so that the payment surely arrives within the deadline on a loaded machine.
    svc = await start(3, { sweepIntervalMs: 200 });
    const productId = await svc.createProduct(5);
    const orderId = await orderOf([{ product_id: productId, quantity: 2 }]);
    const paid = await svc.post('/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: `ok-${orderId}`,
    });
    expect(paid.body).toMatchObject({ payment_status: 'paid', refund_due: false });
    await sleep(3_500);
    expect(await orderRow(orderId)).toMatchObject({ payment_status: 'paid', cancelled_by: null, refund_due: false });
    expect(await svc.dbAvailable(productId)).toBe(3);
    expect(await movements(orderId)).toEqual([]);
    await svc.expectInvariants([productId]);
  });

  it('ORDER_PAYMENT_TTL_SECONDS=0: no deadline, no job, never cancelled', async () => {
    svc = await start(0, { sweepIntervalMs: 200 });
    const productId = await svc.createProduct(5);
    const orderId = await orderOf([{ product_id: productId, quantity: 2 }]);
    // The hold's job was cancelled when it became the order, and no job was added for the order.
    await eventually(
      () => svc.scheduledExpiries(),
      (n) => n === 0,
      2_000,
    );
    const shown = await svc.get(`/api/orders/${orderId}`);
    expect(shown.body).toMatchObject({ payment_status: 'created', payment_due_at: null, refund_due: false });
    await sleep(700);
    expect(await cancelOverdueOrders(svc.rt.ctx)).toEqual({ cancelled: 0 });
    expect((await svc.get(`/api/orders/${orderId}`)).body.payment_status).toBe('created');
    await svc.expectInvariants([productId]);
  });

  it('the admin listing filters cancelled orders', async () => {
    svc = await start(1, { worker: 'none', env: { ADMIN_TOKEN: 'a'.repeat(32) } });
    const productId = await svc.createProduct(5);
    const cancelled = await orderOf([{ product_id: productId, quantity: 1 }]);
    await sleep(1_100);
    expect((await svc.get(`/api/orders/${cancelled}`)).body.payment_status).toBe('cancelled');
    const open = await orderOf([{ product_id: productId, quantity: 1 }]);
    const list = await svc.call('GET', `/api/admin/orders?status=cancelled&product_id=${productId}`, undefined, {
      authorization: `Bearer ${'a'.repeat(32)}`,
    });
    expect(list.status).toBe(200);
    expect(list.body.items.map((o: { order_id: number }) => o.order_id)).toEqual([cancelled]);
    expect(open).not.toBe(cancelled);
  });
});
