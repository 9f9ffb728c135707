/**
 * Expected failures of the domain, each with a stable code. Use cases return or throw these;
 * the HTTP layer maps them to problem+json in one place (see src/http/plugins/problem.ts).
 */
export const ErrorCode = {
  ProductNotFound: 'PRODUCT.NOT_FOUND',
  InsufficientStock: 'STOCK.INSUFFICIENT',
  DuplicateProduct: 'CART.DUPLICATE_PRODUCT',
  CurrencyMismatch: 'CART.CURRENCY_MISMATCH',
  HoldNotFound: 'HOLD.NOT_FOUND',
  HoldExpired: 'HOLD.EXPIRED',
  HoldReleased: 'HOLD.RELEASED',
  HoldConfirmed: 'HOLD.CONFIRMED',
  OrderNotFound: 'ORDER.NOT_FOUND',
  IdempotencyKeyReused: 'IDEMPOTENCY.KEY_REUSED',
  IdempotencyKeyInFlight: 'IDEMPOTENCY.KEY_IN_FLIGHT',
  StockBelowZero: 'STOCK.BELOW_ZERO',
  StockLimitExceeded: 'STOCK.LIMIT_EXCEEDED',
  InvalidMoney: 'MONEY.INVALID',
  InvalidSaleWindow: 'SALE.INVALID_WINDOW',
  SaleNotStarted: 'SALE.NOT_STARTED',
  SaleEnded: 'SALE.ENDED',
  CustomerRequired: 'CUSTOMER.REQUIRED',
  PurchaseLimitExceeded: 'CUSTOMER.LIMIT_EXCEEDED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** When trying again makes sense, in whole seconds: the HTTP layer's `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    opts: { retryAfterSeconds?: number } = {},
  ) {
    // An expected outcome (a sold-out product, an expired hold), not a bug: a stack trace would
    // never be read, and capturing one is a large part of the cost of a rejected hold.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** The one way each "does not exist" is said, whoever finds out. */
export const productNotFound = (id: number): DomainError =>
  new DomainError(ErrorCode.ProductNotFound, `Product ${id} does not exist.`, { product_id: id });

export const holdNotFound = (id: string): DomainError =>
  new DomainError(ErrorCode.HoldNotFound, `Hold ${id} does not exist.`, { hold_id: id });

export const orderNotFound = (id: number): DomainError =>
  new DomainError(ErrorCode.OrderNotFound, `Order ${id} does not exist.`, { order_id: id });

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;

/**
 * A backing service (PostgreSQL, Redis) could not answer: the same request may well succeed
 * shortly. Adapters turn their driver's connection failures into this, so the HTTP layer answers
 * 503 by class instead of reading driver messages.
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`${service} is unavailable`, { cause });
  }
}
