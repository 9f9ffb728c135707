import type { Db } from './db.ts';
import { readCurrencies } from './products.ts';

export interface ProductCurrency {
  id: number;
  currency: string;
}

/**
 * The currencies of the products this process has seen. A product's currency never changes once it
 * exists (product-currencies.sql), so an entry never goes stale and a cart's currency check reads
 * the database only for products it has not met yet. Unknown products are not remembered: they are
 * asked again, and the hold's own statement refuses them.
 */
export class ProductCurrencies {
  private readonly known = new Map<number, string>();

  constructor(private readonly maxEntries = 100_000) {}

  /** The currency of each given product that exists, as readCurrencies answers. */
  async read(db: Db, ids: readonly number[]): Promise<ProductCurrency[]> {
    const missing = ids.filter((id) => !this.known.has(id));
    if (missing.length > 0) {
      const rows = await readCurrencies(db, missing);
      if (this.known.size + rows.length > this.maxEntries) this.known.clear();
      for (const row of rows) this.known.set(row.id, row.currency);
    }
    return ids.flatMap((id) => {
      const currency = this.known.get(id);
      return currency === undefined ? [] : [{ id, currency }];
    });
  }
}
