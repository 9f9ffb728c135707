import { DomainError, ErrorCode } from './errors.ts';

/**
 * A fair sale (invariant I8): who buys (the customer of a hold), how much of a product one customer
 * may have (`max_per_customer`: active holds plus orders created or paid) and when a product is on
 * sale (`sale_starts_at` <= now < `sale_ends_at`, by the database clock). PostgreSQL decides all of
 * it in the statement that takes the stock (place_holds, migration 008); this module names the
 * outcomes and the one rule the application applies itself, before the mirror may refuse a hold.
 */

/** A customer id: 1 to 128 characters of `A-Za-z0-9._:@-` (the shop's own id, an email, a JWT `sub`). */
export const CUSTOMER_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';
const CUSTOMER_ID = new RegExp(CUSTOMER_ID_PATTERN);
export const isCustomerId = (value: string): boolean => CUSTOMER_ID.test(value);

/** A product's rules for a fair sale; null means none. */
export interface SaleRules {
  maxPerCustomer: number | null;
  saleStartsAt: Date | null;
  saleEndsAt: Date | null;
}

/**
 * How far this process's clock may be from the database's before the pre-check stops trusting it:
 * near a window's edge only the database clock decides.
 */
export const CLOCK_MARGIN_MS = 5_000;

/**
 * Whether a hold that asks for more than the mirrored stock may be refused as insufficient-stock
 * without asking PostgreSQL: only when PostgreSQL would answer the same. It checks the window and
 * the customer before the stock, so the mirror may refuse only while the window is surely open (by
 * this clock, with a margin for its distance from the database's) and, on a limited product, when
 * the hold names a customer. The limit is checked after the stock, so it never changes the answer.
 */
export function mirrorMayRefuse(rules: SaleRules, hasCustomer: boolean, nowMs: number): boolean {
  if (rules.maxPerCustomer !== null && !hasCustomer) return false;
  if (rules.saleStartsAt !== null && nowMs < rules.saleStartsAt.getTime() + CLOCK_MARGIN_MS) return false;
  if (rules.saleEndsAt !== null && nowMs > rules.saleEndsAt.getTime() - CLOCK_MARGIN_MS) return false;
  return true;
}

/** A sale window whose end is not after its start: 400 validation-error naming `sale_ends_at`. */
export function saleWindowRefusal(startsAt: Date | null, endsAt: Date | null): DomainError | null {
  if (startsAt !== null && endsAt !== null && endsAt.getTime() <= startsAt.getTime()) {
    return invalidSaleWindow(startsAt, endsAt);
  }
  return null;
}

export const invalidSaleWindow = (startsAt: Date | null, endsAt: Date | null): DomainError =>
  new DomainError(
    ErrorCode.InvalidSaleWindow,
    `sale_ends_at (${endsAt?.toISOString() ?? 'null'}) must be after sale_starts_at (${startsAt?.toISOString() ?? 'null'}).`,
    { errors: [{ location: 'body', pointer: '/sale_ends_at', message: 'must be after sale_starts_at' }] },
  );

/** Whole seconds until a sale starts, rounded up, at least 1: the `Retry-After` of sale-not-started. */
export const secondsUntil = (startsAt: Date, now: Date): number =>
  Math.max(1, Math.ceil((startsAt.getTime() - now.getTime()) / 1000));

export const saleNotStarted = (productId: number, startsAt: Date, dbNow: Date): DomainError =>
  new DomainError(
    ErrorCode.SaleNotStarted,
    `The sale of product ${productId} starts at ${startsAt.toISOString()}.`,
    { product_id: productId, starts_at: startsAt.toISOString() },
    { retryAfterSeconds: secondsUntil(startsAt, dbNow) },
  );

export const saleEnded = (productId: number, endsAt: Date): DomainError =>
  new DomainError(ErrorCode.SaleEnded, `The sale of product ${productId} ended at ${endsAt.toISOString()}.`, {
    product_id: productId,
    ends_at: endsAt.toISOString(),
  });

export const customerRequired = (productId: number): DomainError =>
  new DomainError(ErrorCode.CustomerRequired, `Product ${productId} is limited per customer; the hold must name its customer.`, {
    product_id: productId,
  });

export const purchaseLimitExceeded = (l: { productId: number; limit: number; current: number; requested: number }): DomainError =>
  new DomainError(
    ErrorCode.PurchaseLimitExceeded,
    `Product ${l.productId} is limited to ${l.limit} per customer; this customer has ${l.current} and asked for ${l.requested}.`,
    { product_id: l.productId, limit: l.limit, current: l.current, requested: l.requested },
  );
