import { DomainError, ErrorCode } from './errors.ts';

/** One product line of a hold (a cart): a product and how many units of it. */
export interface HoldLine {
  productId: number;
  quantity: number;
}

/** Most lines one hold may carry. */
export const MAX_CART_LINES = 50;

/** A line that does not fit: what was asked for and what was available when it was decided. */
export interface LineShortfall {
  productId: number;
  requested: number;
  available: number;
}

/** Refuses a cart that names one product twice: its lines would be ambiguous, not summed. */
export function checkDistinctProducts(lines: readonly HoldLine[]): void {
  const seen = new Set<number>();
  for (const line of lines) {
    if (seen.has(line.productId)) {
      throw new DomainError(ErrorCode.DuplicateProduct, `Product ${line.productId} appears more than once in the cart.`, {
        product_id: line.productId,
      });
    }
    seen.add(line.productId);
  }
}

/**
 * Refuses a cart whose products are priced in different currencies: its order would have no one
 * currency to be paid in. `currencies` holds the currency of each product that exists.
 */
export function checkOneCurrency(currencies: readonly { id: number; currency: string }[]): void {
  const distinct = new Set(currencies.map((c) => c.currency));
  if (distinct.size <= 1) return;
  throw new DomainError(
    ErrorCode.CurrencyMismatch,
    `The cart mixes ${[...distinct].sort().join(', ')}; one order is in one currency.`,
    {
      currencies: Object.fromEntries(currencies.map((c) => [String(c.id), c.currency])),
    },
  );
}

/**
 * The refusal of a cart: every line that does not fit, in `lines`. A one-line cart also keeps the
 * top-level `product_id`, `requested` and `available` that single holds always had.
 */
export function insufficientStock(shortfalls: readonly LineShortfall[]): DomainError {
  const lines = shortfalls.map((s) => ({ product_id: s.productId, requested: s.requested, available: s.available }));
  const message = shortfalls
    .map((s) => `only ${s.available} left of product ${s.productId}; ${s.requested} requested`)
    .join(', ');
  const single = shortfalls.length === 1 ? lines[0] : undefined;
  return new DomainError(ErrorCode.InsufficientStock, `${message.charAt(0).toUpperCase()}${message.slice(1)}.`, {
    ...single,
    lines,
  });
}
