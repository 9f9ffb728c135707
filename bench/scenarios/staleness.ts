import { Pool as HttpPool } from 'undici';
import { percentiles } from '../lib/measure.ts';

export interface Staleness {
  changes: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * How long a change of stock takes to be visible in every API process: `changes` times, a hold is
 * placed through one process (alternately), and from its 201 both processes are asked for the
 * product until both show the new stock. Both keep the product in their near cache throughout, so
 * what is measured is the invalidation through Redis (plus one read's latency).
 */
export async function nearCacheStaleness(urls: [string, string], productId: number, changes: number): Promise<Staleness> {
  const pools = urls.map((u) => new HttpPool(u, { connections: 2, keepAliveTimeout: 30_000 }));
  const stockSeen = async (i: number): Promise<number> => {
    const res = await pools[i]!.request({ path: `/api/products/${productId}`, method: 'GET' });
    return ((await res.body.json()) as { available_stock: number }).available_stock;
  };
  try {
    let expected = Math.min(await stockSeen(0), await stockSeen(1));
    const lags: number[] = [];
    for (let n = 0; n < changes; n++) {
      const res = await pools[n % 2]!.request({
        path: '/api/holds',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: productId, quantity: 1 }),
      });
      await res.body.text();
      if (res.statusCode !== 201) throw new Error(`staleness bench: hold answered ${res.statusCode}`);
      const placed = performance.now();
      expected -= 1;
      const seen = await Promise.all(
        [0, 1].map(async (i) => {
          const deadline = placed + 5_000;
          while ((await stockSeen(i)) > expected) {
            if (performance.now() > deadline) throw new Error(`staleness bench: process ${i} did not see the change in 5 s`);
          }
          return performance.now() - placed;
        }),
      );
      lags.push(Math.max(...seen));
    }
    return { changes, ...percentiles(lags), max: Math.max(...lags) };
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}
