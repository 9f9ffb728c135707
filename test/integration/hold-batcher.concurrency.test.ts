import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/postgres/db.ts';
import type { HoldDecision } from '../../src/adapters/postgres/hold-batches.ts';
import { HoldBatcher } from '../../src/adapters/postgres/hold-batcher.ts';
import { reconcile } from '../../src/app/reconcile.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { countBy, TestService } from '../helpers/service.ts';

/** Three API processes' worth of services on one database and one mirror, as in production. */
describe('group commit of holds across several API instances', () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  let services: TestService[] = [];
  beforeAll(async () => {
    services = await Promise.all([
      TestService.start({ env: { REDIS_PREFIX: prefix } }),
      TestService.start({ worker: 'none', env: { REDIS_PREFIX: prefix } }),
      TestService.start({ worker: 'none', env: { REDIS_PREFIX: prefix, HOLD_BATCH_WINDOW_MS: '2' } }),
    ]);
  });
  afterAll(() => Promise.all(services.map((s) => s.close())));

  it('900 buyers on 3 instances, 120 units: exactly 120 holds, 780 rejections, stock 0 everywhere', async () => {
    const [a] = services;
    const productId = await a!.createProduct(120);
    const results = await Promise.all(
      Array.from({ length: 900 }, (_, i) => services[i % 3]!.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 120, 409: 780 });
    const ids = results.filter((r) => r.status === 201).map((r) => r.body.hold_id as string);
    expect(new Set(ids).size).toBe(120);
    // Acknowledged only after commit: every answered hold is in the database, active.
    const { rows } = await a!.rt.pool.query(
      `select count(*)::int as n from holds h join hold_lines l on l.hold_id = h.id
        where h.id = any($1::uuid[]) and h.status = 'active' and l.product_id = $2`,
      [ids, productId],
    );
    expect(rows[0].n).toBe(120);
    expect(await a!.dbAvailable(productId)).toBe(0);
    expect(await a!.mirrorAvailable(productId)).toBe(0);
    await a!.expectInvariants([productId]);
  });

  it('plenty of stock: 1,500 holds at once on 3 instances all succeed, in fewer batches than holds', async () => {
    const [a] = services;
    const productId = await a!.createProduct(10_000);
    const before = services.map((s) => ({ ...s.rt.ctx.holdBatcher!.stats }));
    const results = await Promise.all(
      Array.from({ length: 1_500 }, (_, i) => services[i % 3]!.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 1_500 });
    const batches = services.reduce((sum, s, i) => sum + s.rt.ctx.holdBatcher!.stats.batches - before[i]!.batches, 0);
    const requests = services.reduce((sum, s, i) => sum + s.rt.ctx.holdBatcher!.stats.requests - before[i]!.requests, 0);
    expect(requests).toBe(1_500);
    // How many share a commit depends on how the one test process, client and all three servers,
    // spreads the arrivals: 708 to 748 batches were seen, against a bound of 750 that this test
    // used to have. The bound says that holds arriving together do share commits (the exact
    // grouping is the direct test of the batcher below); it is not a speed target.
    expect(batches).toBeLessThan(1_500 * 0.8);
    expect(await a!.dbAvailable(productId)).toBe(8_500);
    // The audit trail has one movement per hold, and each its own product version.
    const { rows } = await a!.rt.pool.query(
      `select count(*)::int as n, count(distinct version)::int as versions, sum(delta)::int as delta
         from stock_movements where product_id = $1 and reason = 'hold'`,
      [productId],
    );
    expect(rows[0]).toEqual({ n: 1_500, versions: 1_500, delta: -1_500 });
    await a!.expectInvariants([productId]);
  });

  it('mixed quantities 1-4 on 3 instances never take more than the stock and leave the mirror equal', async () => {
    const [a] = services;
    const productId = await a!.createProduct(301);
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        services[i % 3]!.post('/api/holds', { product_id: productId, quantity: (i % 4) + 1 }),
      ),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const granted = results.filter((r) => r.status === 201).reduce((sum, r) => sum + (r.body.quantity as number), 0);
    expect(granted).toBeLessThanOrEqual(301);
    expect(await a!.dbAvailable(productId)).toBe(301 - granted);
    // Buyers of one unit are refused only once nothing is left.
    expect(301 - granted).toBe(0);
    await a!.expectInvariants([productId]);
  });

  it('an unknown product is a 404 problem, not a batch failure', async () => {
    const res = await services[1]!.post('/api/holds', { product_id: 987_654_321, quantity: 1 });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('the batcher itself, on separate pools', () => {
  const pools: pg.Pool[] = [];
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
    for (let i = 0; i < 4; i++) pools.push(createPool({ connectionString: TEST_DATABASE_URL, max: 4 }));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await svc.close();
  });

  it('grants the requests of one batch greedily in arrival order', async () => {
    const productId = await svc.createProduct(4);
    const batcher = new HoldBatcher(pools[0]!, { maxBatch: 100, windowMs: 0 });
    // Placed in one turn of the event loop, so they form one batch.
    const results = await Promise.all([3, 5, 1, 2].map((q) => batcher.place([{ productId, quantity: q }], 60)));
    expect(batcher.stats).toEqual({ batches: 1, requests: 4 });
    expect(results.map((r) => r.kind)).toEqual(['placed', 'refused', 'placed', 'refused']);
    // The first request of the batch carries the batch's stock for the mirror; the others nothing.
    expect(results.map((r) => r.mirror)).toEqual([[{ productId, available: 0, version: 3 }], [], [], []]);
    const shortfalls = (r: HoldDecision) => (r.kind === 'refused' ? r.shortfalls : []);
    expect(results.map(shortfalls)).toEqual([
      [],
      [{ productId, requested: 5, available: 0 }],
      [],
      [{ productId, requested: 2, available: 0 }],
    ]);
    expect(await svc.dbAvailable(productId)).toBe(0);
  });

  it('each hold of a batch gets the times the database wrote, in dates of its own', async () => {
    const productId = await svc.createProduct(10);
    const batcher = new HoldBatcher(pools[0]!, { maxBatch: 100, windowMs: 0 });
    const results = await Promise.all([1, 1, 1].map((q) => batcher.place([{ productId, quantity: q }], 90)));
    const holds = results.map((r) => (r.kind === 'placed' ? r.hold : null));
    expect(holds.every((h) => h !== null)).toBe(true);
    const { rows } = await svc.rt.pool.query<{ id: string; expires_at: Date; created_at: Date }>(
      'select id, expires_at, created_at from holds where id = any($1::uuid[])',
      [holds.map((h) => h!.id)],
    );
    for (const h of holds) {
      const row = rows.find((r) => r.id === h!.id)!;
      expect(h!.expires_at.getTime()).toBe(row.expires_at.getTime());
      expect(h!.created_at.getTime()).toBe(row.created_at.getTime());
      // One transaction: the hold was created at the batch's database clock, 90 s before it expires.
      expect(h!.db_now.getTime()).toBe(row.created_at.getTime());
      expect(h!.expires_at.getTime() - h!.created_at.getTime()).toBe(90_000);
    }
    // The batch's holds share their times, not their Date objects: changing one changes no other.
    const [first, second] = holds;
    expect(first!.expires_at).not.toBe(second!.expires_at);
    expect(first!.created_at).not.toBe(first!.db_now);
    first!.expires_at.setTime(0);
    expect(second!.expires_at.getTime()).toBe(rows[0]!.expires_at.getTime());
  });

  it('four batchers on four pools, 2,000 requests of 1-3 units for 1,000 units: no oversell, exact books', async () => {
    const productId = await svc.createProduct(1_000);
    const batchers = pools.map((p) => new HoldBatcher(p, { maxBatch: 64, windowMs: 1 }));
    const results = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) => batchers[i % 4]!.place([{ productId, quantity: (i % 3) + 1 }], 60)),
    );
    const placed = results.filter((r) => r.kind === 'placed');
    const granted = placed.reduce((sum, r) => sum + r.hold.lines[0]!.quantity, 0);
    expect(results.every((r) => r.kind === 'placed' || r.kind === 'refused')).toBe(true);
    expect(granted).toBe(1_000);
    const { rows } = await svc.rt.pool.query(
      `select count(*)::int as holds, coalesce(sum(l.quantity), 0)::int as held
         from holds h join hold_lines l on l.hold_id = h.id where l.product_id = $1 and h.status = 'active'`,
      [productId],
    );
    expect(rows[0]).toEqual({ holds: placed.length, held: 1_000 });
    expect(await svc.dbAvailable(productId)).toBe(0);
    // The batcher never writes the mirror (placeHold does): copy the truth over before checking I1-I2.
    expect((await reconcile(svc.rt.ctx, [productId])).repaired).toEqual([{ productId, result: 'created' }]);
    await svc.expectInvariants([productId]);
  });
});

describe('without group commit', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { HOLD_BATCHING: 'false' } });
  });
  afterAll(() => svc.close());

  it('each hold takes the row lock alone and the books still balance: 300 buyers, 40 units', async () => {
    expect(svc.rt.ctx.holdBatcher).toBeUndefined();
    const productId = await svc.createProduct(40);
    const results = await Promise.all(
      Array.from({ length: 300 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 40, 409: 260 });
    await svc.expectInvariants([productId]);
  });
});
