import { adjustStockRow, findProduct, insertProduct, updateProductRow } from '../adapters/postgres/products.ts';
import { DomainError, ErrorCode, productNotFound } from '../domain/errors.ts';
import { adjustmentRefusal, MAX_TOTAL_STOCK } from '../domain/stock.ts';
import type { ProductCatalog } from './get-product.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';
import { productView, type ProductView } from './views.ts';

/** What the operator's product use cases need: the context and the product details cache. */
export type AdminContext = Pick<AppContext, 'pool' | 'mirror' | 'log'> & { catalog: ProductCatalog };

export interface StockAdjustmentView {
  movement_id: number;
  product_id: number;
  delta: number;
  reason: string;
  available_after: number;
  product: ProductView;
}

/** Prices are kept to the cent, as the database column is. */
const toCents = (price: number): number => Math.round(price * 100) / 100;

export async function createProduct(
  ctx: AdminContext,
  input: { name: string; price: number; stock: number },
): Promise<ProductView> {
  const row = await insertProduct(ctx.pool, { name: input.name, price: toCents(input.price), stock: input.stock });
  await syncMirror(ctx, [{ productId: row.id, available: row.available, version: row.version }]);
  return productView(row, row.available);
}

/** Renames or reprices a product; its stock changes only through `adjustStock`. */
export async function updateProduct(
  ctx: AdminContext,
  id: number,
  changes: { name?: string | undefined; price?: number | undefined },
): Promise<ProductView> {
  const price = changes.price === undefined ? undefined : toCents(changes.price);
  const row = await updateProductRow(ctx.pool, id, { name: changes.name, price });
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
