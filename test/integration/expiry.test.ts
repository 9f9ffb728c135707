import { afterEach, describe, expect, it } from 'vitest';
import { expireOverdueHolds } from '../../src/app/expiry/expire-holds.ts';
import { eventually, TestService } from '../helpers/service.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hold expiry', () => {
  let svc: TestService;
  afterEach(() => svc.close());

  const holdRow = async (holdId: string) =>
    (await svc.rt.pool.query('select status, ended_by from holds where id = $1', [holdId])).rows[0];

  it('a hold left alone expires on time through its queued job; stock returns to the database and Redis', async () => {
    // The sweeper is slowed right down so that only the job can expire the hold in time, and the
    // database is its own: the expiry alarm rings when the next hold anywhere in it falls due, and
    // a drain at that instant would also end this hold if it were due by then.
    svc = await TestService.start({ holdTtlSeconds: 1, sweepIntervalMs: 600_000, ownDatabase: true });
    const productId = await svc.createProduct(5);
    const holdId = await svc.placeHold(productId, 2);
    expect(await svc.scheduledExpiries()).toBe(1);
    expect(await svc.dbAvailable(productId)).toBe(3);

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
    expect((await svc.get(`/api/holds/${holdId}`)).body.status).toBe('expired');
    const order = await svc.post('/api/orders', { hold_id: holdId });
    expect(order.status).toBe(409);
    expect(order.body.type).toMatch(/\/hold-expired$/);
    await svc.expectInvariants([productId]);
  });

  it('with the queue worker stopped, the sweeper still expires overdue holds', async () => {
    svc = await TestService.start({ holdTtlSeconds: 1, worker: 'none' });
    const productId = await svc.createProduct(10);
    const holds = await Promise.all(Array.from({ length: 5 }, () => svc.placeHold(productId, 2)));
    expect(await svc.dbAvailable(productId)).toBe(0);
    await sleep(1_200);
    // Nothing processed the jobs: the holds are overdue but still active.
    expect((await holdRow(holds[0]!)).status).toBe('active');

    const { expired } = await expireOverdueHolds(svc.rt.ctx);
    expect(expired).toBeGreaterThanOrEqual(5);
    for (const holdId of holds) expect(await holdRow(holdId)).toEqual({ status: 'expired', ended_by: 'sweeper' });
    expect(await svc.dbAvailable(productId)).toBe(10);
    expect(await svc.mirrorAvailable(productId)).toBe(10);
    await svc.expectInvariants([productId]);
  });

  it('a hold whose job was lost is expired by the running sweeper within seconds', async () => {
    svc = await TestService.start({ holdTtlSeconds: 1, sweepIntervalMs: 300 });
    const productId = await svc.createProduct(3);
    const holdId = await svc.placeHold(productId, 3);
    await svc.rt.scheduler.cancel(holdId); // the job is gone, as after a Redis flush
    expect(await svc.scheduledExpiries()).toBe(0);
    await eventually(
      () => holdRow(holdId),
      (h) => h.status === 'expired',
      5_000,
    );
    expect(await holdRow(holdId)).toEqual({ status: 'expired', ended_by: 'sweeper' });
    expect(await svc.dbAvailable(productId)).toBe(3);
    await eventually(
      () => svc.mirrorAvailable(productId),
      (v) => v === 3,
      2_000,
    );
    await svc.expectInvariants([productId]);
  });

  it('an overdue hold can never become an order, even before either expiry path ran', async () => {
    svc = await TestService.start({ holdTtlSeconds: 1, worker: 'none' });
    const productId = await svc.createProduct(4);
    const holdId = await svc.placeHold(productId, 4);
    await sleep(1_100);
    expect((await holdRow(holdId)).status).toBe('active');

    const results = await Promise.all(Array.from({ length: 10 }, () => svc.post('/api/orders', { hold_id: holdId })));
    for (const r of results) {
      expect(r.status).toBe(409);
      expect(r.body.type).toMatch(/\/hold-expired$/);
    }
    expect(await holdRow(holdId)).toEqual({ status: 'expired', ended_by: 'request' });
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from orders where hold_id = $1', [holdId]);
    expect(rows[0].n).toBe(0);
    expect(await svc.dbAvailable(productId)).toBe(4);
    expect(await svc.mirrorAvailable(productId)).toBe(4);
    // Releasing it now is refused as expired too.
    expect((await svc.del(`/api/holds/${holdId}`)).body.type).toMatch(/\/hold-expired$/);
    await svc.expectInvariants([productId]);
  });
});
