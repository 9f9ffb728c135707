import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStockMirror } from '../../src/adapters/redis/stock-mirror.ts';
import { reconcile } from '../../src/app/reconcile.ts';
import { countBy, eventually, TestService } from '../helpers/service.ts';

describe('the Redis mirror of stock (I2)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ reconcileIntervalMs: 300 });
  });
  afterAll(() => svc.close());

  it('never rolls back to an older version, whatever order writes arrive in', async () => {
    // A mirror on a prefix of its own: the service's reconciler (every 300 ms) and its read-through
    // write the service's keys with the database's version, and would race the first write here.
    const productId = await svc.createProduct(100);
    const mirror = new RedisStockMirror(svc.redis, `${svc.config.REDIS_PREFIX}order-test:`);
    expect(await mirror.write({ productId, available: 40, version: 50 })).toBe('created');
    expect(await mirror.write({ productId, available: 45, version: 47 })).toBe('stale');
    expect(await mirror.read(productId)).toBe(40);
    expect(await mirror.write({ productId, available: 40, version: 50 })).toBe('unchanged');
    const shuffled = Array.from({ length: 200 }, (_, i) => ({ productId, available: 1000 - i, version: 100 + i })).sort(
      () => Math.random() - 0.5,
    );
    await Promise.all(shuffled.map((s) => mirror.write(s)));
    expect(await mirror.read(productId)).toBe(1000 - 199);
  });

  it('Redis flushed in the middle of concurrent holds: no oversell, and the mirror heals to equal the database', async () => {
    const productId = await svc.createProduct(100);
    const otherProduct = await svc.createProduct(7);
    const buyers = Array.from({ length: 400 }, (_, i) => i);
    const flush = new Promise<void>((resolve) => setTimeout(() => void svc.redis.flushdb().then(() => resolve()), 30));
    const [results] = await Promise.all([
      Promise.all(buyers.map(() => svc.post('/api/holds', { product_id: productId, quantity: 1 }))),
      flush,
    ]);
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 100, 409: 300 });
    expect(await svc.dbAvailable(productId)).toBe(0);
    // The reconciler rebuilds every key, including products nobody touched since the flush.
    await eventually(
      () => svc.mirrorAvailable(productId),
      (v) => v === 0,
      5_000,
    );
    await eventually(
      () => svc.mirrorAvailable(otherProduct),
      (v) => v === 7,
      5_000,
    );
    await svc.expectInvariants([productId, otherProduct]);
  });

  it('the reconciler repairs drift and reports it; a second run finds nothing to repair', async () => {
    const productId = await svc.createProduct(9);
    await svc.placeHold(productId, 2);
    await svc.redis.set(`${svc.config.REDIS_PREFIX}product:${productId}:stock`, '999');
    const first = await reconcile(svc.rt.ctx, [productId]);
    expect(first.repaired).toEqual([{ productId, result: 'changed' }]);
    expect(await svc.mirrorAvailable(productId)).toBe(7);
    expect((await reconcile(svc.rt.ctx, [productId])).repaired).toEqual([]);
    await svc.expectInvariants([productId]);
  });
});
