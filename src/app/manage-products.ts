import {
  adjustStockRow,
  findProduct,
  insertProduct,
  updateProductRow,
  type SaleSettings,
} from '../adapters/postgres/products.ts';
import type { ProductView } from '../contract/products.ts';
import type { StockAdjustmentView } from '../contract/stock.ts';
import { DomainError, ErrorCode, productNotFound } from '../domain/errors.ts';
import { invalidSaleWindow, saleWindowRefusal } from '../domain/fair-sale.ts';
import { priceRefusal } from '../domain/money.ts';
import { adjustmentRefusal, MAX_TOTAL_STOCK } from '../domain/stock.ts';
import type { ProductCatalog } from './get-product.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';
import { productView } from './views.ts';

/**
 * What the operator's product use cases need: the context, the product details cache and the
 * currency of products created without one (CURRENCY).
 */
export type AdminContext = Pick<AppContext, 'pool' | 'mirror' | 'log'> & { catalog: ProductCatalog; currency: string };

/** The fair-sale fields of the admin API's bodies: absent keeps (or leaves unset), null clears. */
export interface SaleFields {
  max_per_customer?: number | null | undefined;
  sale_starts_at?: string | null | undefined;
  sale_ends_at?: string | null | undefined;
}

const toDate = (value: string | null | undefined): Date | null | undefined =>
  value === undefined || value === null ? value : new Date(value);

const saleSettings = (input: SaleFields): SaleSettings => ({
  maxPerCustomer: input.max_per_customer,
  saleStartsAt: toDate(input.sale_starts_at),
  saleEndsAt: toDate(input.sale_ends_at),
});

/** The sale window check of the table (products_sale_window) lost a race with another change. */
const isWindowViolation = (err: unknown): boolean =>
  (err as { code?: string; constraint?: string }).code === '23514' &&
  (err as { constraint?: string }).constraint === 'products_sale_window';

/**
 * Creates a product in its own currency or the default one; a price the currency cannot express is
 * refused, and so is a sale window whose end is not after its start.
 */
export async function createProduct(
  ctx: AdminContext,
  input: { name: string; price: number; stock: number; currency?: string | undefined } & SaleFields,
): Promise<ProductView> {
  const currency = input.currency ?? ctx.currency;
  const refusal = priceRefusal(input.price, currency);
  if (refusal) throw refusal;
  const sale = saleSettings(input);
  const windowRefusal = saleWindowRefusal(sale.saleStartsAt ?? null, sale.saleEndsAt ?? null);
  if (windowRefusal) throw windowRefusal;
  const row = await insertProduct(ctx.pool, { name: input.name, price: input.price, stock: input.stock, currency, ...sale });
  await syncMirror(ctx, [{ productId: row.id, available: row.available, version: row.version }]);
  return productView(row, row.available);
}

/**
 * Renames or reprices a product, or changes its limit per customer or sale window (null clears
 * one); its stock changes only through `adjustStock`. Its currency is fixed when it is created, so
 * a new price is checked against a currency that cannot change. The window is checked as it will
 * be after the change, and the table's own check refuses a window a concurrent change spoilt.
 */
export async function updateProduct(
  ctx: AdminContext,
  id: number,
  changes: { name?: string | undefined; price?: number | undefined } & SaleFields,
): Promise<ProductView> {
  const sale = saleSettings(changes);
  if (changes.price !== undefined || sale.saleStartsAt !== undefined || sale.saleEndsAt !== undefined) {
    const product = await findProduct(ctx.pool, id);
    if (!product) throw productNotFound(id);
    const refusal = changes.price === undefined ? null : priceRefusal(changes.price, product.currency);
    if (refusal) throw refusal;
    const windowRefusal = saleWindowRefusal(
      sale.saleStartsAt === undefined ? product.sale_starts_at : sale.saleStartsAt,
      sale.saleEndsAt === undefined ? product.sale_ends_at : sale.saleEndsAt,
    );
    if (windowRefusal) throw windowRefusal;
  }
  const row = await updateProductRow(ctx.pool, id, { name: changes.name, price: changes.price, ...sale }).catch(
    (err: unknown) => {
      if (isWindowViolation(err)) throw invalidSaleWindow(sale.saleStartsAt ?? null, sale.saleEndsAt ?? null);
      throw err;
    },
  );
  if (!row) throw productNotFound(id);
  // Other replicas keep their cached details for at most the catalog's few seconds.
  ctx.catalog.forget(id);
  return productView(row, row.available);
}

/**
 * Restocks (delta > 0) or writes off (delta < 0) units. One conditional update moves available
 * and total stock together, so I1 keeps holding, and refuses what would take available below zero;
 * the mirror is written after the commit like every other stock change.
 */
export async function adjustStock(
  ctx: AdminContext,
  input: { productId: number; delta: number; reason: string },
): Promise<StockAdjustmentView> {
  // A refusal is explained from a later read; if the stock moved in between so that the change
  // would now fit, the adjustment is simply tried again.
  for (let attempt = 0; ; attempt++) {
    const row = await adjustStockRow(ctx.pool, { ...input, maxTotalStock: MAX_TOTAL_STOCK });
    if (row) {
      await syncMirror(ctx, [{ productId: row.id, available: row.available, version: row.version }]);
      ctx.catalog.forget(row.id);
      ctx.log.info({ productId: row.id, delta: input.delta, reason: input.reason }, 'stock adjusted');
      return {
        movement_id: row.movement_id,
        product_id: row.id,
        delta: input.delta,
        reason: input.reason,
        available_after: row.available,
        product: productView(row, row.available),
      };
    }
    const product = await findProduct(ctx.pool, input.productId);
    if (!product) throw productNotFound(input.productId);
    const refusal = adjustmentRefusal(product, input.delta);
    if (refusal) throw refusal;
    if (attempt >= 2) {
      throw new DomainError(ErrorCode.StockBelowZero, `Stock of product ${input.productId} kept changing; try again.`, {
        product_id: input.productId,
      });
    }
  }
}
