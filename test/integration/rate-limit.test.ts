import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { holdRateLimitFrom } from '../../src/http/plugins/rate-limit.ts';
import { countBy, TestService } from '../helpers/service.ts';

describe('rate limit of hold creation per client (HOLD_RATE_LIMIT_MAX, HOLD_RATE_LIMIT_WINDOW_SECONDS)', () => {
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    const env = { HOLD_RATE_LIMIT_MAX: '10', HOLD_RATE_LIMIT_WINDOW_SECONDS: '30' };
    a = await TestService.start({ worker: 'none', env });
    // A second process sharing the Redis namespace: the budget is one, not one per process.
    b = await TestService.start({ worker: 'none', env: { ...env, REDIS_PREFIX: a.config.REDIS_PREFIX } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('30 concurrent holds from one client over two processes: exactly 10 placed, 20 refused with 429 and Retry-After', async () => {
    const productId = await a.createProduct(100);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 10, 429: 20 });
    for (const r of results.filter((r) => r.status === 429)) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.type).toMatch(/\/rate-limited$/);
      const retryAfter = Number(r.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
      expect(r.headers['ratelimit-remaining']).toBe('0');
    }
    expect(await a.dbAvailable(productId)).toBe(90);
    // Other routes are not limited.
    expect((await a.get(`/api/products/${productId}`)).status).toBe(200);
  });

  it('is off unless configured: the default configuration has no limit', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1' });
    expect(holdRateLimitFrom(config)).toBeUndefined();
    expect(holdRateLimitFrom(loadConfig({ HOLD_RATE_LIMIT_MAX: '5' }))).toEqual({ max: 5, windowSeconds: 60 });
    expect(() => loadConfig({ HOLD_RATE_LIMIT_MAX: '0' })).toThrow(/HOLD_RATE_LIMIT_MAX/);
  });
});

describe('a new window restores the budget', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { HOLD_RATE_LIMIT_MAX: '2', HOLD_RATE_LIMIT_WINDOW_SECONDS: '2' } });
  });
  afterAll(() => svc.close());

  it('2 per 2 s: 2 placed, the 3rd refused, and after the window 2 more placed', async () => {
    const productId = await svc.createProduct(10);
    const hold = () => svc.post('/api/holds', { product_id: productId, quantity: 1 });
    const first = [await hold(), await hold(), await hold()];
    expect(first.map((r) => r.status)).toEqual([201, 201, 429]);
    expect(first[2]!.headers['retry-after']).toMatch(/^[12]$/);
    await new Promise((r) => setTimeout(r, 2_100));
    expect([(await hold()).status, (await hold()).status]).toEqual([201, 201]);
    expect(await svc.dbAvailable(productId)).toBe(6);
  });
});
