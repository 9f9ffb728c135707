import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endHold } from '../../src/adapters/postgres/holds.ts';
import { DueHoldsDrain } from '../../src/app/expiry/expiry-drain.ts';
import { snapshotOf, syncMirror } from '../../src/app/mirror-sync.ts';
import { expiredMovements, holdEndings, insertHoldsDueTogether } from '../helpers/due-holds.ts';
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

/**
 * One worker process meeting a storm: 2,000 holds due at the same instant and the first 50 of their
 * jobs arriving together (the worker's concurrency). The periodic sweeper does not run.
 */
describe('one drain per storm', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:` } });
  });
  afterAll(() => svc.close());

  it('the first job ends its own hold and drains the other 1,999; the jobs after it ask the database nothing', async () => {
    const productId = await svc.createProduct(2_000);
    const ids = await insertHoldsDueTogether(svc.rt.pool, productId, 2_000, 300);
    await new Promise((r) => setTimeout(r, 400));

    // The real pool, counting the statements the drain's jobs send.
    let statements = 0;
    const pool = new Proxy(svc.rt.pool, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return (...args: unknown[]) => {
          statements++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const drain = new DueHoldsDrain({ ...svc.rt.ctx, pool });
    const first = await Promise.all(ids.slice(0, 50).map((id) => drain.expire(id)));
    expect(countBy(first, (r) => (r.kind === 'not-active' ? `not-active ${r.status}` : r.kind))).toEqual({
      expired: 1,
      'not-active expired': 49,
    });
    const afterStorm = statements;
    const rest = await Promise.all(ids.slice(50).map((id) => drain.expire(id)));
    expect(countBy(rest, (r) => (r.kind === 'not-active' ? `not-active ${r.status}` : r.kind))).toEqual({
      'not-active expired': 1_950,
    });
    expect(statements).toBe(afterStorm);

    expect(await holdEndings(svc.rt.pool, productId)).toEqual([
      { status: 'expired', ended_by: 'job', n: 1 },
      { status: 'expired', ended_by: 'sweeper', n: 1_999 },
    ]);
    expect(await expiredMovements(svc.rt.pool, productId)).toEqual({ n: 2_000, delta: 2_000, holds: 2_000 });
    expect(await svc.dbAvailable(productId)).toBe(2_000);
    expect(await svc.mirrorAvailable(productId)).toBe(2_000);
    await svc.expectInvariants([productId]);
  });
});

/**
 * The drain claims due holds with `FOR UPDATE SKIP LOCKED` and updates the rows it claimed where
 * they lie. A hold another transaction has locked is not claimed, and whatever that transaction
 * does to it stands: its stock comes back once, by one of the two.
 */
describe('the drain and a transaction holding a due hold', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:` } });
  });
  afterAll(() => svc.close());

  it('500 due holds, one of them locked and then ended by its transaction: 499 expired by the drain, each unit back once', async () => {
    const productId = await svc.createProduct(500);
    const taken = (await insertHoldsDueTogether(svc.rt.pool, productId, 500, 0))[0]!;
    const other = await svc.rt.pool.connect();
    try {
      await other.query('begin');
      await other.query('select 1 from holds where id = $1 for update', [taken]);
      const drained = await new DueHoldsDrain(svc.rt.ctx).sweep();
      expect(drained).toBeGreaterThanOrEqual(499);
      expect((await svc.rt.pool.query('select status from holds where id = $1', [taken])).rows[0]).toEqual({ status: 'active' });
      // The other transaction ends it as its expiry job would, through the one-hold statement.
      const lines = await endHold(other, taken, 'expired', 'job');
      expect(lines).toHaveLength(1);
      await other.query('commit');
      await syncMirror(svc.rt.ctx, lines.map(snapshotOf));
    } finally {
      other.release();
    }
    expect(await holdEndings(svc.rt.pool, productId)).toEqual([
      { status: 'expired', ended_by: 'job', n: 1 },
      { status: 'expired', ended_by: 'sweeper', n: 499 },
    ]);
    expect(await expiredMovements(svc.rt.pool, productId)).toEqual({ n: 500, delta: 500, holds: 500 });
    expect(await svc.dbAvailable(productId)).toBe(500);
    expect(await svc.mirrorAvailable(productId)).toBe(500);
    await svc.expectInvariants([productId]);
  });
});
