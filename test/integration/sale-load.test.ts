import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playSale, type SalePlan } from '../../src/cli/sale-load.ts';
import { freePorts } from '../helpers/free-port.ts';
import { TestService } from '../helpers/service.ts';

// The load generator that `flashsale simulate`, the fault tests and the benchmark share: what it
// reports must be what the service did, or every check built on it checks nothing.

const plan = (over: Partial<SalePlan> & Pick<SalePlan, 'urls' | 'productIds'>): SalePlan => ({
  concurrency: 4,
  quantityMix: [[1, 1]],
  cartSizeMix: [[1, 1]],
  orderShare: 0,
  releaseShare: 0,
  payShare: 0,
  failShare: 0,
  ...over,
});

describe('the sale load generator', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start();
  });
  afterAll(() => svc.close());

  it('plays exactly `buyers` journeys and counts the stock refusals', async () => {
    const productId = await svc.createProduct(5);
    const progress: number[] = [];
    const sale = await playSale(plan({ urls: [svc.url], productIds: [productId], buyers: 20 }), 5, (n) => progress.push(n));
    expect(sale.endpoints.get('POST /api/holds')?.latencies).toHaveLength(20);
    expect(sale.holds).toHaveLength(5);
    expect(sale.refusedForStock).toBe(15);
    expect(sale.soldOutMs).not.toBeNull();
    expect(progress.at(-1)).toBe(20);
    expect(sale.exchanges).toEqual([]); // no journal unless asked
    expect(await svc.dbAvailable(productId)).toBe(0);
  });

  it('moves a buyer whose API does not answer to the next one, journals every exchange, and reports what the database holds', async () => {
    const [deadPort] = await freePorts(1);
    const products = [await svc.createProduct(40), await svc.createProduct(40)];
    const sale = await playSale(
      plan({
        urls: [`http://127.0.0.1:${deadPort}`, svc.url],
        productIds: products,
        durationMs: 1_500,
        concurrency: 8,
        quantityMix: [
          [1, 1],
          [2, 1],
        ],
        orderShare: 0.6,
        releaseShare: 0.2,
        payShare: 0.5,
        failShare: 0.5,
        duplicateWebhookShare: 1,
        contradictingWebhookShare: 1,
        timeoutMs: 5_000,
        journal: true,
      }),
    );

    // The four slots that start on the dead API fail once each and never go back to it; only the
    // provider's extra events, sent side by side to successive APIs, still reach it.
    const toDead = sale.exchanges.filter((e) => e.api === 0);
    expect(toDead.filter((e) => e.endpoint !== 'POST /api/payments/webhook')).toHaveLength(4);
    expect(toDead.every((e) => e.failure === 'connection' && e.status === null)).toBe(true);
    expect(sale.exchanges.filter((e) => e.api === 1).every((e) => e.failure === null && e.status !== null)).toBe(true);
    for (const [endpoint, stats] of sale.endpoints) {
      const journaled = sale.exchanges.filter((e) => e.endpoint === endpoint);
      expect(stats.latencies.length + stats.errors, endpoint).toBe(journaled.length);
    }
    expect(sale.holds.length).toBeGreaterThan(0);

    const { rows } = await svc.rt.pool.query<{
      id: string;
      status: string;
      product_id: number;
      quantity: number;
      order_id: string | null;
      payment_status: string | null;
    }>(
      `select h.id, h.status, l.product_id, l.quantity, o.id as order_id, o.payment_status
         from holds h join hold_lines l on l.hold_id = h.id left join orders o on o.hold_id = h.id
        where h.id = any($1::uuid[])`,
      [sale.holds.map((h) => h.id)],
    );
    const inDb = new Map(rows.map((r) => [r.id, r]));
    expect(inDb.size).toBe(sale.holds.length);
    for (const h of sale.holds) {
      const row = inDb.get(h.id);
      expect(row && { product_id: row.product_id, quantity: row.quantity }).toEqual({
        product_id: h.lines[0]?.productId,
        quantity: h.lines[0]?.quantity,
      });
      if (h.fate === 'released') expect(row?.status).toBe('released');
      if (h.fate === 'abandoned') expect(row?.status).toBe('active');
      if (h.fate === 'ordered') {
        expect(row?.status).toBe('confirmed');
        expect(Number(row?.order_id)).toBe(h.order?.id);
        // The event, its retry and the contradicting event: every 200 reports the one final status.
        expect(h.order?.answered.length).toBeGreaterThanOrEqual(2);
        expect(new Set(h.order?.answered)).toEqual(new Set([row?.payment_status]));
        expect(h.order?.paymentApplied).toBe(row?.payment_status === h.order?.payment);
      }
    }
    expect(sale.holds.some((h) => h.fate === 'ordered')).toBe(true);
  });
});
