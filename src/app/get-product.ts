import { findProduct, readStock, type ProductRow } from '../adapters/postgres/products.ts';
import { productNotFound } from '../domain/errors.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';
import { productView, type ProductView } from './views.ts';

type Catalog = Pick<ProductRow, 'id' | 'name' | 'price' | 'currency' | 'total_stock'>;

/**
 * Product details change rarely and stock changes constantly: details are kept in process for a
 * few seconds, stock always comes from the mirror (through the near cache while it is current;
 * rebuilt from the database when missing).
 */
export class ProductCatalog {
  private readonly entries = new Map<number, { product: Catalog; until: number }>();

  constructor(private readonly ttlMs = 5_000) {}

  async details(ctx: AppContext, id: number): Promise<Catalog | null> {
    const hit = this.entries.get(id);
    if (hit && hit.until > Date.now()) return hit.product;
    const row = await findProduct(ctx.pool, id);
    if (!row) return null;
    this.entries.set(id, { product: row, until: Date.now() + this.ttlMs });
    return row;
  }

  forget(id: number): void {
    this.entries.delete(id);
  }
}

export async function getProduct(ctx: AppContext, catalog: ProductCatalog, id: number): Promise<ProductView> {
  const [details, mirrored] = await Promise.all([
    catalog.details(ctx, id),
    (ctx.nearStock ?? ctx.mirror).read(id).catch(() => undefined),
  ]);
  if (!details) throw productNotFound(id);
  if (typeof mirrored === 'number') return productView(details, mirrored);
  // Missing (null) or unreachable (undefined): read the truth, and rebuild the key if it was missing.
  const [stock] = await readStock(ctx.pool, [id]);
  if (!stock) throw productNotFound(id);
  if (mirrored === null) await syncMirror(ctx, [{ productId: id, available: stock.available, version: stock.version }]);
  return productView(details, stock.available);
}
