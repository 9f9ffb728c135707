import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, eventually, TestService } from '../helpers/service.ts';

/**
 * A sale's holds fall due together. Two worker processes share the queue; the periodic sweeper is
 * pushed out of the way so that only the jobs (and the drain they start) can expire the holds.
 */
describe('holds falling due together', () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  let services: TestService[] = [];
  beforeAll(async () => {
    const opts = { holdTtlSeconds: 2, sweepIntervalMs: 600_000, env: { REDIS_PREFIX: prefix } };
    services = await Promise.all([TestService.start(opts), TestService.start(opts)]);
  });
  afterAll(() => Promise.all(services.map((s) => s.close())));

  it('800 holds expire within seconds on two workers, each exactly once, and all stock comes back', async () => {
    const [a, b] = services as [TestService, TestService];
    const productId = await a.createProduct(1_000);
    const results = await Promise.all(
      Array.from({ length: 800 }, (_, i) => (i % 2 ? a : b).post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 800 });

    await eventually(
      () => a.dbAvailable(productId),
      (v) => v === 1_000,
      15_000,
      100,
    );
    const { rows } = await a.rt.pool.query(
      `select h.status, h.ended_by, count(*)::int as n from holds h join hold_lines l on l.hold_id = h.id
        where l.product_id = $1 group by 1, 2 order by 1, 2`,
      [productId],
    );
    expect(rows.every((r) => r.status === 'expired')).toBe(true);
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(800);
    // Jobs expired the first holds and started a drain, which took the rest in batches.
    expect(rows.find((r) => r.ended_by === 'job')?.n ?? 0).toBeGreaterThan(0);
    expect(rows.find((r) => r.ended_by === 'sweeper')?.n ?? 0).toBeGreaterThan(0);
    // Each hold gave its unit back once: one movement per hold, nothing more.
    const movements = await a.rt.pool.query(
      `select count(*)::int as n, sum(delta)::int as delta from stock_movements where product_id = $1 and reason = 'hold_expired'`,
      [productId],
    );
    expect(movements.rows[0]).toEqual({ n: 800, delta: 800 });
    await eventually(
      () => a.mirrorAvailable(productId),
      (v) => v === 1_000,
      5_000,
    );
    await a.expectInvariants([productId]);
  });
});
