import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaleSnapshotView as SaleSnapshot } from '../../src/contract/dashboard.ts';
import { REFUSAL_REASONS, type RefusalReason } from '../../src/app/sale-pulse.ts';
import { openSaleStream } from '../helpers/sale-stream.ts';
import { TestService } from '../helpers/service.ts';

const TOKEN = 'dashboard-stream-admin-token-0123';

/** The per-second rates of every distinct second the stream reported, summed. */
function summedRates(events: { snapshot: SaleSnapshot }[], fromSecond: number) {
  const bySecond = new Map<number, SaleSnapshot['rates']>();
  for (const { snapshot } of events) if (snapshot.second >= fromSecond) bySecond.set(snapshot.second, snapshot.rates);
  const sum = {
    holds_placed: 0,
    refused: 0,
    refused_by: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>,
    orders_created: 0,
    payments_paid: 0,
    payments_failed: 0,
    seconds: [...bySecond.keys()],
  };
  for (const r of bySecond.values()) {
    sum.holds_placed += r.holds_placed;
    sum.refused += Object.values(r.holds_refused).reduce((a, b) => a + b, 0);
    for (const reason of REFUSAL_REASONS) sum.refused_by[reason] += r.holds_refused[reason];
    sum.orders_created += r.orders_created;
    sum.payments_paid += r.payments_paid;
    sum.payments_failed += r.payments_failed;
  }
  return sum;
}

describe('GET /api/admin/dashboard/stream: the whole sale, live, from two API processes', () => {
  // Two runtimes on one database and one Redis prefix: two API processes of one deployment.
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    const env = { ADMIN_TOKEN: TOKEN, REDIS_PREFIX: `dash${randomBytes(4).toString('hex')}:` };
    [a, b] = await Promise.all([TestService.start({ env }), TestService.start({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('is for the admin only: 401 problem+json without the token or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-the-token-at-all' }] as Record<string, string>[]) {
      const res = await a.call('GET', '/api/admin/dashboard/stream', undefined, headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toBe('/problems/unauthorized');
    }
  });

  it('is text/event-stream with at least one event a second', async () => {
    const stream = await openSaleStream(a.url, TOKEN);
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      const started = Date.now();
      await stream.waitFor(() => stream.events.length >= 5, 8_000);
      const span = (stream.events[4]!.at - stream.events[0]!.at) / 1000;
      expect(span).toBeLessThanOrEqual(4 * 1.1); // four gaps of about a second
      expect(Date.now() - started).toBeLessThan(6_000);
      const seconds = stream.events.map((e) => e.snapshot.second);
      expect(seconds).toEqual(seconds.map((_, i) => seconds[0]! + i)); // no second skipped or repeated
    } finally {
      stream.close();
    }
  });

  it('shows exact per-product figures and the sale-wide rates of both processes', async () => {
    const stream = await openSaleStream(b.url, TOKEN);
    try {
      const first = await stream.waitFor(() => true, 5_000);
      // Whatever is counted from here on happens in a later second than the one `first` reports.
      const fromSecond = first.second + 1;

      const product = await a.createProduct(100);
      const scarce = await a.createProduct(1);
      const [holdsA, holdsB] = await Promise.all([
        Promise.all(Array.from({ length: 20 }, () => a.post('/api/holds', { product_id: product, quantity: 1 }))),
        Promise.all(Array.from({ length: 15 }, () => b.post('/api/holds', { product_id: product, quantity: 2 }))),
      ]);
      expect([...holdsA, ...holdsB].map((r) => r.status)).toEqual(Array(35).fill(201));
      const races = await Promise.all([
        a.post('/api/holds', { product_id: scarce, quantity: 1 }),
        b.post('/api/holds', { product_id: scarce, quantity: 1 }),
        a.post('/api/holds', { product_id: scarce, quantity: 1 }),
      ]);
      expect(races.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      expect((await b.post('/api/holds', { product_id: 999_999_999, quantity: 1 })).status).toBe(404);

      // The sale's rules, refused on both processes: a sale not started yet, one that has ended,
      // a product limited per customer without a customer and over its limit.
      const admin = { authorization: `Bearer ${TOKEN}` };
      const ruled = async (rules: object) => {
        const res = await a.post('/api/admin/products', { name: 'ruled', price: 5, stock: 10, ...rules }, admin);
        expect(res.status).toBe(201);
        return res.body.id as number;
      };
      const notYet = await ruled({ sale_starts_at: '2099-01-01T00:00:00Z' });
      const over = await ruled({ sale_starts_at: '2020-01-01T00:00:00Z', sale_ends_at: '2020-01-02T00:00:00Z' });
      const limited = await ruled({ max_per_customer: 2 });
      const refusals = await Promise.all([
        a.post('/api/holds', { product_id: notYet, quantity: 1 }),
        b.post('/api/holds', { product_id: notYet, quantity: 1 }),
        b.post('/api/holds', { product_id: over, quantity: 1 }),
        b.post('/api/holds', { product_id: limited, quantity: 1 }),
        a.post('/api/holds', { product_id: limited, quantity: 3, customer_id: 'dash-buyer' }),
      ]);
      expect(refusals.map((r) => r.body.type)).toEqual([
        '/problems/sale-not-started',
        '/problems/sale-not-started',
        '/problems/sale-ended',
        '/problems/customer-required',
        '/problems/purchase-limit-exceeded',
      ]);

      // Orders made on the other process than the hold: 10 of A's holds (1 unit), 5 of B's (2 units).
      const fromA = holdsA.slice(0, 10).map((r) => b.post('/api/orders', { hold_id: r.body.hold_id }));
      const fromB = holdsB.slice(0, 5).map((r) => a.post('/api/orders', { hold_id: r.body.hold_id }));
      const [ordersA, ordersB] = await Promise.all([Promise.all(fromA), Promise.all(fromB)]);
      expect([...ordersA, ...ordersB].map((r) => r.status)).toEqual(Array(15).fill(201));
      const webhook = (svc: TestService, orderId: number, status: 'paid' | 'failed') =>
        svc.post('/api/payments/webhook', {
          order_id: orderId,
          payment_status: status,
          idempotency_key: `dash-${orderId}-${status}`,
        });
      const payments = await Promise.all([
        ...ordersA.slice(0, 6).map((o, i) => webhook(i % 2 ? a : b, o.body.order_id, 'paid')),
        ...ordersB.slice(0, 2).map((o, i) => webhook(i % 2 ? a : b, o.body.order_id, 'failed')),
      ]);
      expect(payments.map((r) => r.status)).toEqual(Array(8).fill(200));
      const done = Date.now();

      // held: 10 x 1 + 10 x 2; ordered: 10 x 1 + 5 x 2, less the 2 failed orders of 2 units.
      const expected = { id: product, total_stock: 100, available: 54, held: 30, ordered: 16, paid: 6 };
      const seen = await stream.waitFor((s) => s.products.some((p) => matches(p, expected)), 2_500);
      expect(seen.products.find((p) => p.id === scarce)).toMatchObject({ available: 0, held: 1, ordered: 0, paid: 0 });
      expect(Date.now() - done).toBeLessThanOrEqual(2_500);

      // Rates: every event of both processes is counted once, in the second it happened.
      const want = { holds_placed: 36, refused: 8, orders_created: 15, payments_paid: 6, payments_failed: 2 };
      await stream.waitFor(() => matches(summedRates(stream.events, fromSecond), want), 8_000);
      const last = stream.events.length;
      await stream.waitFor(() => stream.events.length >= last + 2, 5_000);
      const rates = summedRates(stream.events, fromSecond);
      expect(rates).toMatchObject(want); // and nothing more later
      const { insufficient_stock_mirror: mirror, insufficient_stock_db: db, ...byRule } = rates.refused_by;
      expect(mirror + db).toBe(2); // the scarce product's two losers, by whichever of the two saw it first
      expect(byRule).toEqual({ product_not_found: 1, sale_window: 3, customer_required: 1, purchase_limit: 1, rate_limited: 0 });
      expect(Math.max(...stream.events.map((e) => e.snapshot.hold_latency_ms.samples))).toBeGreaterThan(0);
    } finally {
      stream.close();
    }
  });

  it('closing the service ends the streams it serves', async () => {
    const extra = await TestService.start({ env: { ADMIN_TOKEN: TOKEN }, worker: 'none' });
    const stream = await openSaleStream(extra.url, TOKEN);
    await stream.waitFor(() => true, 5_000);
    const started = Date.now();
    await extra.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

const matches = (actual: object, expected: object): boolean =>
  Object.entries(expected).every(([k, v]) => (actual as Record<string, unknown>)[k] === v);
