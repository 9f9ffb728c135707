import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPayment } from '../../src/app/apply-payment.ts';
import { createOrder } from '../../src/app/create-order.ts';
import type { AppContext, Metrics, StockMirror, StockSnapshot } from '../../src/app/ports.ts';
import { TestService } from '../helpers/service.ts';

/**
 * withTransaction runs a use case's transaction again after a serialization failure. What the
 * first, rolled-back attempt saw must not reach the mirror or the metrics: only the committed
 * attempt's stock figures are written, and each event is counted once. A deferred trigger on the
 * test's own database fails the first commit with 40001, exactly as a real conflict would.
 */
describe('a transaction retried after a serialization failure', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ ownDatabase: true, worker: 'none', holdTtlSeconds: 1 });
    await svc.rt.pool.query(`
      create sequence fail_first_commit;
      create function fail_first_commit() returns trigger language plpgsql as $$
      begin
        -- nextval is not rolled back: only the first commit fails
        if nextval('fail_first_commit') = 1 then
          raise exception 'injected serialization failure' using errcode = '40001';
        end if;
        return null;
      end $$;`);
  });
  afterAll(() => svc.close());

  /** The service's context, with a mirror and metrics that remember what they were told. */
  function recordingContext() {
    const real = svc.rt.ctx;
    const written: StockSnapshot[] = [];
    const counted: string[] = [];
    const mirror: StockMirror = {
      read: (id) => real.mirror.read(id),
      write: (s) => (written.push(s), real.mirror.write(s)),
      writeMany: (ss) => (written.push(...ss), real.mirror.writeMany(ss)),
    };
    const metrics = new Proxy(real.metrics, {
      get:
        (target, name: keyof Metrics) =>
        (...args: unknown[]) => {
          counted.push(`${name}:${String(args[0])}`);
          return (target[name] as (...a: unknown[]) => void)(...args);
        },
    });
    const ctx: AppContext = { ...real, mirror, metrics };
    return { ctx, written, counted };
  }

  async function failNextCommitOf(table: 'holds' | 'payment_events'): Promise<void> {
    await svc.rt.pool.query(`alter sequence fail_first_commit restart`);
    await svc.rt.pool.query(`
      create constraint trigger fail_first_commit after update on ${table}
        deferrable initially deferred for each row execute function fail_first_commit()`);
  }
  const stopFailing = (table: string) => svc.rt.pool.query(`drop trigger fail_first_commit on ${table}`);

  it('create-order on an overdue hold: the expiry is written to the mirror once, with the committed figures', async () => {
    const productId = await svc.createProduct(10);
    const holdId = await svc.placeHold(productId, 3);
    await new Promise((r) => setTimeout(r, 1_300));
    const { ctx, written, counted } = recordingContext();
    await failNextCommitOf('holds');
    try {
      await expect(createOrder(ctx, holdId)).rejects.toMatchObject({ code: 'HOLD.EXPIRED' });
    } finally {
      await stopFailing('holds');
    }
    const { rows } = await svc.rt.pool.query<{ available: number; version: number }>(
      'select available, version from products where id = $1',
      [productId],
    );
    expect(rows[0]).toMatchObject({ available: 10 });
    expect(written).toEqual([{ productId, available: 10, version: rows[0]!.version }]);
    expect(counted.filter((c) => c.startsWith('holdExpired'))).toEqual(['holdExpired:request']);
  });

  it('apply-payment of a failed payment: the returned stock is written once, the event counted once', async () => {
    const productId = await svc.createProduct(10);
    const holdId = await svc.placeHold(productId, 4);
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(201);
    const { ctx, written, counted } = recordingContext();
    await failNextCommitOf('payment_events');
    let result;
    try {
      result = await applyPayment(ctx, {
        orderId: order.body.order_id,
        paymentStatus: 'failed',
        idempotencyKey: `retry-${holdId}`,
      });
    } finally {
      await stopFailing('payment_events');
    }
    expect(result).toMatchObject({ status: 200, replayed: false, body: { payment_status: 'failed' } });
    const { rows } = await svc.rt.pool.query<{ available: number; version: number }>(
      'select available, version from products where id = $1',
      [productId],
    );
    expect(rows[0]).toMatchObject({ available: 10 });
    expect(written).toEqual([{ productId, available: 10, version: rows[0]!.version }]);
    expect(counted).toEqual(['webhookHandled:applied', 'paymentSettled:failed']);
    const { rows: tries } = await svc.rt.pool.query<{ n: number }>(`select last_value::int as n from fail_first_commit`);
    expect(tries[0]!.n).toBeGreaterThanOrEqual(2);
  });
});
