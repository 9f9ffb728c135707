import { findProduct, readStock } from '../adapters/postgres/products.ts';
import type { ProductView } from '../contract/products.ts';
import { productNotFound } from '../domain/errors.ts';
import type { SaleRules } from '../domain/fair-sale.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext, SaleRulesSource } from './ports.ts';
import { productView, type ProductDetails } from './views.ts';

type Catalog = ProductDetails;

/**
 * Product details change rarely and stock changes constantly: details are kept in process for a
 * few seconds, stock always comes from the mirror (through the near cache while it is current;
 * rebuilt from the database when missing). The sale rules the hold pre-check reads are kept beside
 * them, learnt from every batch of holds too, and served stale while they are read again in the
 * background, so a sold-out storm never waits for (nor, within a few seconds, touches) the database.
 */
export class ProductCatalog implements SaleRulesSource {
  private readonly entries = new Map<number, { product: Catalog; until: number }>();
  private readonly ruleEntries = new Map<number, { rules: SaleRules; until: number }>();
  private readonly refreshing = new Set<number>();

  constructor(private readonly ttlMs = 5_000) {}

  async details(ctx: AppContext, id: number): Promise<Catalog | null> {
    const hit = this.cached(id);
    if (hit) return hit;
    const row = await findProduct(ctx.pool, id);
    if (!row) return null;
    this.entries.set(id, { product: row, until: Date.now() + this.ttlMs });
    this.learn(id, { maxPerCustomer: row.max_per_customer, saleStartsAt: row.sale_starts_at, saleEndsAt: row.sale_ends_at });
    return row;
  }

  /**
   * A product's limit per customer and sale window; null for an unknown product. Known rules are
   * answered at once, and read again in the background once they are older than the catalog's
   * few seconds; only a product this process never saw is read before answering.
   */
  async rules(ctx: AppContext, id: number): Promise<SaleRules | null> {
    return this.known(ctx, id) ?? ((await this.details(ctx, id)) && (this.ruleEntries.get(id)?.rules ?? null));
  }

  /** Known rules at once (read again in the background when old, as `rules` does); undefined if never seen. */
  known(ctx: AppContext, id: number): SaleRules | undefined {
    const known = this.ruleEntries.get(id);
    if (!known) return undefined;
    if (known.until <= Date.now() && !this.refreshing.has(id)) {
      this.refreshing.add(id);
      this.entries.delete(id);
      this.details(ctx, id)
        .catch((err: unknown) => ctx.log.debug({ err, productId: id }, 'could not read product rules again'))
        .finally(() => this.refreshing.delete(id));
    }
    return known.rules;
  }

  /** Details still fresh in memory, or undefined when `details` would read them. */
  cached(id: number): Catalog | undefined {
    const hit = this.entries.get(id);
    return hit && hit.until > Date.now() ? hit.product : undefined;
  }

  /** Rules read elsewhere (a batch of holds returns its products' rules), current as of now. */
  learn(id: number, rules: SaleRules): void {
    this.ruleEntries.set(id, { rules, until: Date.now() + this.ttlMs });
  }

  forget(id: number): void {
    this.entries.delete(id);
    this.ruleEntries.delete(id);
  }
}

/**
 * A product's details and stock when both are in memory (the usual case during a sale), without
 * waiting for anything; undefined when `getProduct` has to ask.
 */
export function knownProduct(
  ctx: AppContext,
  catalog: ProductCatalog,
  id: number,
): { details: ProductDetails; available: number } | undefined {
  const details = catalog.cached(id);
  const available = details && ctx.nearStock?.peek?.(id);
  return details && available !== undefined ? { details, available } : undefined;
}

export async function getProduct(ctx: AppContext, catalog: ProductCatalog, id: number): Promise<ProductView> {
  const known = knownProduct(ctx, catalog, id);
  if (known) return productView(known.details, known.available);
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
