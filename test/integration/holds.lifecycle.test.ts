import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy, TestService } from '../helpers/service.ts';

describe('a hold from placement to release', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ holdTtlSeconds: 120 });
  });
  afterAll(() => svc.close());

  it('201 with the hold, its location and an expiry HOLD_TTL_SECONDS ahead; GET shows it active', async () => {
    const productId = await svc.createProduct(10);
    const res = await svc.post('/api/holds', { product_id: productId, quantity: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ product_id: productId, quantity: 3, status: 'active' });
    expect(res.headers.location).toBe(`/api/holds/${res.body.hold_id}`);
    const ttl = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at);
    expect(ttl).toBe(120_000);
    expect((await svc.get(`/api/holds/${res.body.hold_id}`)).body).toEqual(res.body);
    expect(await svc.dbAvailable(productId)).toBe(7);
    expect(await svc.mirrorAvailable(productId)).toBe(7);
    await svc.expectInvariants([productId]);
  });

  it('DELETE releases an active hold once: stock comes back, a second release is 409', async () => {
    const productId = await svc.createProduct(4);
    const holdId = await svc.placeHold(productId, 4);
    expect(await svc.mirrorAvailable(productId)).toBe(0);

    const results = await Promise.all(Array.from({ length: 10 }, () => svc.del(`/api/holds/${holdId}`)));
    expect(countBy(results, (r) => r.status)).toEqual({ 200: 1, 409: 9 });
    expect(results.find((r) => r.status === 200)!.body.status).toBe('released');
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.type).toMatch(/\/hold-released$/);

    expect(await svc.dbAvailable(productId)).toBe(4);
    expect(await svc.mirrorAvailable(productId)).toBe(4);
    const { rows } = await svc.rt.pool.query(`select reason, delta from stock_movements where product_id = $1 order by id`, [
      productId,
    ]);
    expect(rows).toEqual([
      { reason: 'initial', delta: 4 },
      { reason: 'hold', delta: -4 },
      { reason: 'hold_released', delta: 4 },
    ]);
    await svc.expectInvariants([productId]);
  });

  it('a confirmed hold cannot be released', async () => {
    const productId = await svc.createProduct(2);
    const holdId = await svc.placeHold(productId, 1);
    expect((await svc.post('/api/orders', { hold_id: holdId })).status).toBe(201);
    const res = await svc.del(`/api/holds/${holdId}`);
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/\/hold-confirmed$/);
    await svc.expectInvariants([productId]);
  });

  it('unknown holds are 404 for GET and DELETE', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect((await svc.get(`/api/holds/${id}`)).status).toBe(404);
      expect((await svc.del(`/api/holds/${id}`)).status).toBe(404);
    }
  });

  it('GET /api/products/{id} serves the mirror and rebuilds a missing key from the database', async () => {
    const productId = await svc.createProduct(12, 5.5);
    const res = await svc.get(`/api/products/${productId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: productId, price: 5.5, available_stock: 12, total_stock: 12 });
    expect(typeof res.body.name).toBe('string');

    await svc.redis.del(`${svc.config.REDIS_PREFIX}product:${productId}:stock`);
    expect(await svc.mirrorAvailable(productId)).toBeNull();
    // A deleted key is no change of stock: the near cache answers until its entry is older than
    // NEAR_CACHE_MAX_AGE_MS; then the read goes to Redis, finds the key missing and rebuilds it.
    expect((await svc.get(`/api/products/${productId}`)).body.available_stock).toBe(12);
    await new Promise((r) => setTimeout(r, svc.config.NEAR_CACHE_MAX_AGE_MS + 50));
    expect((await svc.get(`/api/products/${productId}`)).body.available_stock).toBe(12);
    expect(await svc.mirrorAvailable(productId)).toBe(12);

    expect((await svc.get('/api/products/987654321')).status).toBe(404);
    expect((await svc.get('/api/products/abc')).status).toBe(400);
    expect((await svc.get('/api/products/0')).status).toBe(400);
  });
});
