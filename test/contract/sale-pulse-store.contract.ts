import { beforeEach, expect, it } from 'vitest';
import type { SalePulseStore } from '../../src/app/ports.ts';

/** What every SalePulseStore must do. `make` returns a fresh, empty store for each test. */
export function salePulseStoreContract(make: () => Promise<SalePulseStore>): void {
  let store: SalePulseStore;
  beforeEach(async () => {
    store = await make();
  });

  it('reads {} for a second nobody counted in', async () => {
    expect(await store.read([1_700_000_000, 1_700_000_001])).toEqual([{}, {}]);
  });

  it('sums what several writers add to one second, counter by counter, and keeps seconds apart', async () => {
    const second = 1_700_000_100;
    await Promise.all([
      store.add(second, { holds_placed: 3, lat_40: 2, lat_41: 1 }),
      store.add(second, { holds_placed: 4, refused_insufficient_stock_db: 1, lat_41: 5 }),
      store.add(second + 1, { holds_placed: 7 }),
      store.add(second, {}),
    ]);
    const [first, next, after] = await store.read([second, second + 1, second + 2]);
    expect(first).toEqual({ holds_placed: 7, refused_insufficient_stock_db: 1, lat_40: 2, lat_41: 6 });
    expect(next).toEqual({ holds_placed: 7 });
    expect(after).toEqual({});
  });

  it('answers in the order the seconds were asked for', async () => {
    await store.add(1_700_000_200, { orders_created: 1 });
    await store.add(1_700_000_201, { orders_created: 2 });
    expect(await store.read([1_700_000_201, 1_700_000_200])).toEqual([{ orders_created: 2 }, { orders_created: 1 }]);
  });
}
