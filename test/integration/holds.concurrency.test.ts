import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../src/app/reconcile.ts';
import { countBy, TestService } from '../helpers/service.ts';

describe('holds under a flash-sale storm', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start();
  });
  afterAll(() => svc.close());

  it('500 buyers, 50 units: exactly 50 holds, 450 rejections, stock 0 everywhere', async () => {
    const productId = await svc.createProduct(50);
    // I1 at every instant: sample the database while the storm runs (the mirror may lag meanwhile).
    let storming = true;
    const samples: string[][] = [];
    const sampler = (async () => {
      while (storming) {
        const report = await checkInvariants(svc.rt.ctx, [productId]);
        samples.push(report.violations.filter((v) => v.invariant === 'I1').map((v) => v.message));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 500 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    storming = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(1);
    expect(samples.flat()).toEqual([]);
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 50, 409: 450 });
    for (const r of results.filter((r) => r.status === 409)) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.type).toMatch(/\/insufficient-stock$/);
    }
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.hold_id)).size).toBe(50);

    expect(await svc.dbAvailable(productId)).toBe(0);
    expect(await svc.mirrorAvailable(productId)).toBe(0);
    expect((await svc.get(`/api/products/${productId}`)).body.available_stock).toBe(0);
    const { rows } = await svc.rt.pool.query(
      `select count(*)::int as holds, sum(l.quantity)::int as held
         from holds h join hold_lines l on l.hold_id = h.id where l.product_id = $1 and h.status = 'active'`,
      [productId],
    );
    expect(rows[0]).toEqual({ holds: 50, held: 50 });
    await svc.expectInvariants([productId]);
  });

  it('mixed quantities never take more than the stock: 300 buyers of 1-3 units for 97 units', async () => {
    const productId = await svc.createProduct(97);
    const quantities = Array.from({ length: 300 }, (_, i) => (i % 3) + 1);
    const results = await Promise.all(quantities.map((quantity) => svc.post('/api/holds', { product_id: productId, quantity })));
    const granted = results.filter((r) => r.status === 201).reduce((sum, r) => sum + (r.body.quantity as number), 0);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(await svc.dbAvailable(productId)).toBe(97 - granted);
    // Every buyer of one unit was refused only once stock was gone, so at most 2 units can be left.
    expect(97 - granted).toBeLessThanOrEqual(2);
    await svc.expectInvariants([productId]);
  });

  it('a sold-out product is refused from the mirror without a database write', async () => {
    const productId = await svc.createProduct(1);
    await svc.placeHold(productId, 1);
    // The sweeper and reconciler use the same pool every 500 ms: pause them so that only the
    // requests are counted.
    await svc.stopWorker();
    let acquired = 0;
    const onAcquire = () => acquired++;
    svc.rt.pool.on('acquire', onAcquire);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => svc.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    svc.rt.pool.off('acquire', onAcquire);
    svc.startWorker();
    expect(countBy(results, (r) => r.status)).toEqual({ 409: 50 });
    expect(acquired).toBe(0);
  });
});
