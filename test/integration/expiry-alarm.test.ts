import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DueHoldsAlarm } from '../../src/app/expiry/due-holds-alarm.ts';
import { DueHoldsDrain } from '../../src/app/expiry/expiry-drain.ts';
import { expiredMovements, insertHoldsDueTogether } from '../helpers/due-holds.ts';
import { countBy, eventually, TestService } from '../helpers/service.ts';

/**
 * The alarm alone: no job is processed and no sweeper runs, so whatever expires the holds is the
 * drain the alarm started at the instant they fell due, by the database clock.
 */
describe('the expiry alarm', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:` } });
  });
  afterAll(() => svc.close());

  const holdsDueTogether = (productId: number, n: number, inMs: number) =>
    insertHoldsDueTogether(svc.rt.pool, productId, n, inMs);

  const endings = async (productId: number) =>
    (
      await svc.rt.pool.query<{ status: string; ended_by: string | null; early: number; n: number }>(
        `select h.status, h.ended_by, count(*) filter (where h.status = 'expired' and h.ended_at < h.expires_at)::int as early, count(*)::int as n
           from holds h join hold_lines l on l.hold_id = h.id
          where l.product_id = $1 group by 1, 2 order by 1, 2`,
        [productId],
      )
    ).rows;

  it('ends 2,000 holds due together at their instant, none a moment early, and gives every unit back once', async () => {
    const productId = await svc.createProduct(2_000);
    await holdsDueTogether(productId, 2_000, 3_000);
    const alarm = new DueHoldsAlarm(svc.rt.ctx, new DueHoldsDrain(svc.rt.ctx));
    try {
      await alarm.arm();
      // Armed, not rung: a second after, every hold is still active.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await endings(productId)).toEqual([{ status: 'active', ended_by: null, early: 0, n: 2_000 }]);

      await eventually(
        () => svc.dbAvailable(productId),
        (v) => v === 2_000,
        10_000,
        20,
      );
    } finally {
      await alarm.stop();
    }
    // The drain's statement ended them all (no job ran, no sweep), and not one before its expires_at:
    // until that instant an order could still be made from it.
    expect(await endings(productId)).toEqual([{ status: 'expired', ended_by: 'sweeper', early: 0, n: 2_000 }]);
    expect(await expiredMovements(svc.rt.pool, productId)).toEqual({ n: 2_000, delta: 2_000, holds: 2_000 });
    expect(await svc.mirrorAvailable(productId)).toBe(2_000);
    await svc.expectInvariants([productId]);
  });

  it('rings again for holds falling due later, and leaves alone a hold made into an order before its instant', async () => {
    const productId = await svc.createProduct(300);
    const first = await holdsDueTogether(productId, 100, 1_000);
    await holdsDueTogether(productId, 200, 2_000);
    const ordered = first[0]!;
    const alarm = new DueHoldsAlarm(svc.rt.ctx, new DueHoldsDrain(svc.rt.ctx));
    try {
      await alarm.arm();
      expect((await svc.post('/api/orders', { hold_id: ordered })).status).toBe(201);
      await eventually(
        async () => (await endings(productId)).find((r) => r.status === 'active')?.n ?? 0,
        (active) => active === 0,
        10_000,
        20,
      );
    } finally {
      await alarm.stop();
    }
    expect(countBy(await endings(productId), (r) => `${r.status} ${r.ended_by ?? '-'} early ${r.early}`)).toEqual({
      'confirmed order early 0': 1,
      'expired sweeper early 0': 1,
    });
    const rows = await endings(productId);
    expect(rows.find((r) => r.status === 'expired')?.n).toBe(299);
    expect(await svc.dbAvailable(productId)).toBe(299);
    expect(await svc.mirrorAvailable(productId)).toBe(299);
    await svc.expectInvariants([productId]);
  });
});
