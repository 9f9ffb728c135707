import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/postgres/db.ts';
import { endHold, findHold, holdOf } from '../../src/adapters/postgres/holds.ts';
import { listHoldRows, listOrderRows } from '../../src/adapters/postgres/listings.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { cancelOverdueOrderRows, confirmHoldIntoOrder, findOrder, returnOrderStock } from '../../src/adapters/postgres/orders.ts';
import { readStockFigures } from '../../src/adapters/postgres/products.ts';
import { holdView, orderView } from '../../src/app/views.ts';
import { TEST_DATABASE_NAME, TEST_PG_SERVER } from '../helpers/env.ts';

const DB = `${TEST_DATABASE_NAME}_carts_migration`;

/**
 * Migration 003 (carts) on a database that the previous version created and used: holds in every
 * status, orders in every payment status. Everything reads the same afterwards, and it keeps working.
 */
describe('migration 003: one-product holds and orders become one-line carts', () => {
  const admin = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
  let pool: pg.Pool;
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`drop database if exists "${DB}" with (force)`);
    await admin.query(`create database "${DB}"`);
    pool = createPool({ connectionString: `${TEST_PG_SERVER}/${DB}`, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
    await admin.query(`drop database if exists "${DB}" with (force)`);
    await admin.end();
  });

  it('reads the same after the migration as before, and the migrated rows still move stock', async () => {
    expect(await migrate(pool, { upTo: '002' })).toEqual(['001_core.sql', '002_admin-ops.sql']);
    // The previous version's rows, written as its statements wrote them.
    await pool.query(`
      insert into products (id, name, price, total_stock, available) values
        (1, 'console', 249.99, 20, 20 - 2 - 1 - 2), (2, 'controller', 2.50, 10, 10 - 4 - 1);
      insert into holds (id, product_id, quantity, status, expires_at, created_at, ended_at, ended_by) values
        ('00000000-0000-4000-8000-000000000001', 1, 2, 'active',    now() + interval '1 hour', now(), null, null),
        ('00000000-0000-4000-8000-000000000002', 2, 4, 'active',    now() + interval '1 hour', now(), null, null),
        ('00000000-0000-4000-8000-000000000003', 1, 1, 'confirmed', now() + interval '1 hour', now(), now(), 'order'),
        ('00000000-0000-4000-8000-000000000004', 1, 2, 'confirmed', now() + interval '1 hour', now(), now(), 'order'),
        ('00000000-0000-4000-8000-000000000005', 2, 3, 'confirmed', now() + interval '1 hour', now(), now(), 'order'),
        ('00000000-0000-4000-8000-000000000006', 2, 1, 'confirmed', now() + interval '1 hour', now(), now(), 'order'),
        ('00000000-0000-4000-8000-000000000007', 1, 5, 'expired',   now() - interval '1 hour', now() - interval '2 hours', now() - interval '1 hour', 'job'),
        ('00000000-0000-4000-8000-000000000008', 2, 2, 'expired',   now() - interval '1 hour', now() - interval '2 hours', now() - interval '1 hour', 'sweeper'),
        ('00000000-0000-4000-8000-000000000009', 1, 1, 'released',  now() + interval '1 hour', now(), now(), 'client');
      insert into orders (id, hold_id, product_id, quantity, amount, payment_status) values
        (1, '00000000-0000-4000-8000-000000000003', 1, 1, 249.99, 'created'),
        (2, '00000000-0000-4000-8000-000000000004', 1, 2, 499.98, 'paid'),
        (3, '00000000-0000-4000-8000-000000000005', 2, 3, 7.50, 'failed'),
        (4, '00000000-0000-4000-8000-000000000006', 2, 1, 2.50, 'paid');
      select setval(pg_get_serial_sequence('orders', 'id'), 4);
    `);
    const { rows: oldHolds } = await pool.query(
      `select id, product_id, quantity, status, expires_at, created_at, ended_at, ended_by from holds order by id`,
    );
    const { rows: oldOrders } = await pool.query(
      `select id, hold_id, product_id, quantity, amount, payment_status, created_at, updated_at from orders order by id`,
    );
    const { rows: oldFigures } = await pool.query(
      `select p.id, p.total_stock, p.available, p.version,
              coalesce((select sum(quantity) from holds h where h.product_id = p.id and h.status = 'active'), 0)::int as held,
              coalesce((select sum(quantity) from orders o where o.product_id = p.id and o.payment_status in ('created', 'paid')), 0)::int
                as ordered
         from products p order by p.id`,
    );
    expect(oldFigures.map((f) => f.available + f.held + f.ordered)).toEqual([20, 10]);

    expect(await migrate(pool)).toEqual([
      '003_carts.sql',
      '005_currency.sql',
      '006_place-holds-by-key.sql',
      '007_order-payment-deadline.sql',
      '008_fair-sale.sql',
      '009_return-lines.sql',
      '010_count-each-customer-once.sql',
      '011_movements-without-product-check.sql',
    ]);

    // Every hold and order as the API shows it: what it showed before, plus its one line in `items`
    // and no customer (migration 008).
    for (const h of oldHolds) {
      const view = holdView(holdOf((await findHold(pool, h.id))!));
      expect(view).toEqual({
        hold_id: h.id,
        customer_id: null,
        product_id: h.product_id,
        quantity: h.quantity,
        items: [{ product_id: h.product_id, quantity: h.quantity }],
        status: h.status,
        expires_at: h.expires_at.toISOString(),
        created_at: h.created_at.toISOString(),
        ended_at: h.ended_at?.toISOString() ?? null,
      });
    }
    for (const o of oldOrders) {
      const view = orderView((await findOrder(pool, { id: o.id }))!);
      expect(view).toEqual({
        order_id: o.id,
        hold_id: o.hold_id,
        customer_id: null,
        product_id: o.product_id,
        quantity: o.quantity,
        items: [
          { product_id: o.product_id, quantity: o.quantity, unit_price: Number(o.amount) / o.quantity, amount: Number(o.amount) },
        ],
        amount: Number(o.amount),
        currency: 'USD',
        payment_status: o.payment_status,
        // Made before payment deadlines existed: none, so never cancelled for want of payment.
        payment_due_at: null,
        refund_due: false,
        created_at: o.created_at.toISOString(),
        updated_at: o.updated_at.toISOString(),
      });
    }
    // The invariant's figures, and the listings by product and status.
    const figures = await readStockFigures(pool);
    expect(
      figures.map(({ id, total_stock, available, version, held, ordered }) => ({
        id,
        total_stock,
        available,
        version,
        held,
        ordered,
      })),
    ).toEqual(oldFigures);
    for (const productId of [1, 2]) {
      const listed = await listHoldRows(pool, { productId }, { limit: 100, offset: 0 });
      expect(listed.map((h) => h.id).sort()).toEqual(oldHolds.filter((h) => h.product_id === productId).map((h) => h.id));
      expect(listed.map((h) => h.ended_by).sort()).toEqual(
        oldHolds
          .filter((h) => h.product_id === productId)
          .map((h) => h.ended_by)
          .sort(),
      );
      const orders = await listOrderRows(pool, { productId, status: 'paid' }, { limit: 100, offset: 0 });
      expect(orders.map((o) => o.id).sort()).toEqual(
        oldOrders.filter((o) => o.product_id === productId && o.payment_status === 'paid').map((o) => o.id),
      );
    }

    // The sweeper of unpaid orders finds nothing to cancel among them.
    expect(await cancelOverdueOrderRows(pool, 100)).toEqual([]);

    // The migrated rows still take part: an old active hold is released, another becomes an order
    // that fails, and every unit comes back to where it belongs.
    expect(await endHold(pool, '00000000-0000-4000-8000-000000000001', 'released', 'client')).toMatchObject([
      { product_id: 1, available: 15 + 2 },
    ]);
    const order = (await confirmHoldIntoOrder(pool, '00000000-0000-4000-8000-000000000002', 900))!;
    expect(orderView(order)).toMatchObject({ product_id: 2, quantity: 4, amount: 10, items: [{ unit_price: 2.5, amount: 10 }] });
    await pool.query(`update orders set payment_status = 'failed' where id = $1`, [order.id]);
    expect(await returnOrderStock(pool, order.id)).toMatchObject([{ id: 2, available: 5 + 4 }]);
    const after = await readStockFigures(pool);
    expect(after.map((f) => f.available + f.held + f.ordered)).toEqual([20, 10]);
    expect(after.map((f) => [f.held, f.ordered, f.paid])).toEqual([
      [0, 3, 2],
      [0, 1, 1],
    ]);
  });
});
