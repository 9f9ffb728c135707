import { DomainError, ErrorCode } from './errors.ts';

/** A product's available stock at a database version. */
export interface StockSnapshot {
  productId: number;
  available: number;
  version: number;
}

/** Why a product's available stock changed, as the audit trail records it. */
export type MovementReason =
  'initial' | 'hold' | 'hold_released' | 'hold_expired' | 'payment_failed' | 'order_cancelled' | 'adjustment';

/**
 * The most units a product may have in total. Well below the 2^31 of the database column, so a
 * restock can never overflow it; far above any real sale.
 */
export const MAX_TOTAL_STOCK = 1_000_000_000;

/** Why a stock adjustment was refused, decided from the product's figures after the refusal. */
export function adjustmentRefusal(p: { id: number; available: number; total_stock: number }, delta: number): DomainError | null {
  if (p.available + delta < 0) {
    return new DomainError(
      ErrorCode.StockBelowZero,
      `Product ${p.id} has ${p.available} available; a change of ${delta} would take it below zero.`,
      { product_id: p.id, available: p.available, delta },
    );
  }
  if (p.total_stock + delta > MAX_TOTAL_STOCK) {
    return new DomainError(
      ErrorCode.StockLimitExceeded,
      `Product ${p.id} has ${p.total_stock} in total; a change of ${delta} would exceed ${MAX_TOTAL_STOCK}.`,
      { product_id: p.id, total_stock: p.total_stock, delta, max_total_stock: MAX_TOTAL_STOCK },
    );
  }
  return null;
}
