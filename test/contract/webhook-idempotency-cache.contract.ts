import { beforeEach, expect, it } from 'vitest';
import type { WebhookIdempotencyCache, StoredResponse } from '../../src/app/ports.ts';

const response = (n: number): StoredResponse => ({
  fingerprint: `fp-${n}`,
  status: 200,
  body: { order_id: n, payment_status: 'paid', nested: { list: [1, 2, 3] } },
});

/** What every WebhookIdempotencyCache must do. `make` returns a fresh, empty cache for each test. */
export function webhookIdempotencyCacheContract(make: () => Promise<WebhookIdempotencyCache>): void {
  let cache: WebhookIdempotencyCache;
  beforeEach(async () => {
    cache = await make();
  });

  it('answers null for a key never stored', async () => {
    expect(await cache.get('never-seen')).toBeNull();
  });

  it('returns what was stored under each key, and only under that key', async () => {
    await cache.put('key-a', response(1), 60);
    await cache.put('key-b', response(2), 60);
    expect(await cache.get('key-a')).toEqual(response(1));
    expect(await cache.get('key-b')).toEqual(response(2));
    expect(await cache.get('key-c')).toBeNull();
  });

  it('stores a copy: changing the object afterwards changes nothing stored', async () => {
    const value = response(3);
    await cache.put('key-copy', value, 60);
    (value.body as { order_id: number }).order_id = 999;
    expect(await cache.get('key-copy')).toEqual(response(3));
  });

  it('a later put replaces the value', async () => {
    await cache.put('key-r', response(4), 60);
    await cache.put('key-r', response(5), 60);
    expect(await cache.get('key-r')).toEqual(response(5));
  });

  it('forgets a key once its TTL has passed, and not before', async () => {
    await cache.put('key-ttl', response(6), 1);
    await cache.put('key-long', response(7), 60);
    expect(await cache.get('key-ttl')).toEqual(response(6));
    await new Promise((r) => setTimeout(r, 400));
    expect(await cache.get('key-ttl')).toEqual(response(6));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await cache.get('key-ttl')).toBeNull();
    expect(await cache.get('key-long')).toEqual(response(7));
  });
}
