import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/adapters/postgres/db.ts';
import { readSaleFigures, readStockFigures } from '../../src/adapters/postgres/products.ts';
import { TestService } from '../helpers/service.ts';

/**
 * The dashboard's figures take `held` from invariant I1 instead of summing the active holds: they
 * must equal the invariant check's sums, and must not read the holds at all.
 */
describe("the dashboard's per-product figures", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', ownDatabase: true });
  });
  afterAll(() => svc.close());

  const pay = (orderId: number, status: 'paid' | 'failed') =>
    svc.post('/api/payments/webhook', { order_id: orderId, payment_status: status, idempotency_key: randomUUID() });

  it('equal the sums over holds and orders, through holds, carts, releases, orders paid and failed', async () => {
    const [a, b] = [await svc.createProduct(50), await svc.createProduct(30)];
    const holds = await Promise.all([
      ...Array.from({ length: 6 }, () => svc.post('/api/holds', { product_id: a, quantity: 2 })),
      ...Array.from({ length: 4 }, () =>
        svc.post('/api/holds', {
          items: [
            { product_id: b, quantity: 3 },
            { product_id: a, quantity: 1 },
          ],
        }),
      ),
    ]);
    expect(holds.map((h) => h.status)).toEqual(Array(10).fill(201));
    const ids = holds.map((h) => h.body.hold_id as string);
    expect((await svc.del(`/api/holds/${ids[0]}`)).status).toBe(200);
    const orders = await Promise.all(ids.slice(1, 8).map((hold_id) => svc.post('/api/orders', { hold_id })));
    expect(orders.map((o) => o.status)).toEqual(Array(7).fill(201));
    const orderIds = orders.map((o) => o.body.order_id as number);
    expect(
      (await Promise.all([pay(orderIds[0]!, 'paid'), pay(orderIds[5]!, 'paid'), pay(orderIds[6]!, 'failed')])).map(
        (r) => r.status,
      ),
    ).toEqual([200, 200, 200]);

    const [summed, derived] = await withTransaction(
      svc.rt.pool,
      async (tx) => [await readStockFigures(tx, [a, b]), (await readSaleFigures(tx)).filter((f) => f.id === a || f.id === b)],
      { isolation: 'repeatable read' },
    );
    expect(derived).toEqual(summed);
    // Six holds of 2 units of a, then four carts of 3 b and 1 a. The first hold is released; the next
    // five holds and the first two carts are ordered; the first order and the first cart's are
    // paid, the second cart's fails. Two carts stay held.
    expect(derived.map(({ id, available, held, ordered, paid }) => ({ id, available, held, ordered, paid }))).toEqual([
      { id: a, available: 50 - 6 * 2 - 4 + 2 + 1, held: 2, ordered: 5 * 2 + 1, paid: 2 + 1 },
      { id: b, available: 30 - 4 * 3 + 3, held: 6, ordered: 3, paid: 3 },
    ]);
  });

  it('read no hold and no hold line', async () => {
    await svc.placeHold(await svc.createProduct(10), 2);
    const client = await svc.rt.pool.connect();
    const scans = () =>
      client
        .query<{ n: string }>(
          `select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) as n
             from pg_stat_xact_user_tables where relname in ('holds', 'hold_lines')`,
        )
        .then((r) => Number(r.rows[0]!.n));
    try {
      await client.query('begin');
      const before = await scans();
      expect((await readSaleFigures(client)).length).toBeGreaterThan(0);
      expect((await scans()) - before).toBe(0);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
});
