import { ErrorCode } from '../domain/errors.ts';

/**
 * Problem type URIs are `${PROBLEM_BASE}<slug>`; the slugs are a stable contract (docs/errors.md).
 * A relative reference (RFC 9457 3.1.1): resolved against the API's own URL it names the page the
 * service serves about that problem, whatever host the service is reached by.
 */
export const PROBLEM_BASE = '/problems/';

export interface ProblemKind {
  status: number;
  slug: string;
  title: string;
}

/** How each domain error code is answered over HTTP: the one place that decides it. */
export const DOMAIN_PROBLEMS: Record<ErrorCode, ProblemKind> = {
  [ErrorCode.ProductNotFound]: { status: 404, slug: 'product-not-found', title: 'Product not found' },
  [ErrorCode.InsufficientStock]: { status: 409, slug: 'insufficient-stock', title: 'Not enough stock' },
  [ErrorCode.DuplicateProduct]: { status: 400, slug: 'duplicate-product', title: 'A product appears twice in the cart' },
  [ErrorCode.CurrencyMismatch]: { status: 400, slug: 'currency-mismatch', title: 'The cart mixes currencies' },
  [ErrorCode.HoldNotFound]: { status: 404, slug: 'hold-not-found', title: 'Hold not found' },
  [ErrorCode.HoldExpired]: { status: 409, slug: 'hold-expired', title: 'Hold has expired' },
  [ErrorCode.HoldReleased]: { status: 409, slug: 'hold-released', title: 'Hold was released' },
  [ErrorCode.HoldConfirmed]: { status: 409, slug: 'hold-confirmed', title: 'Hold was already turned into an order' },
  [ErrorCode.OrderNotFound]: { status: 404, slug: 'order-not-found', title: 'Order not found' },
  [ErrorCode.IdempotencyKeyReused]: {
    status: 422,
    slug: 'idempotency-key-reused',
    title: 'Idempotency key was used with a different payload',
  },
  [ErrorCode.IdempotencyKeyInFlight]: {
    status: 409,
    slug: 'idempotency-key-in-flight',
    title: 'A request with this idempotency key is still in progress',
  },
  [ErrorCode.StockBelowZero]: { status: 409, slug: 'stock-below-zero', title: 'Stock would go below zero' },
  [ErrorCode.StockLimitExceeded]: { status: 409, slug: 'stock-limit-exceeded', title: 'Total stock would exceed its limit' },
  // A price the currency cannot express is a validation error like any other (with its `errors` list).
  [ErrorCode.InvalidMoney]: { status: 400, slug: 'validation-error', title: 'Request is not valid' },
  [ErrorCode.InvalidSaleWindow]: { status: 400, slug: 'validation-error', title: 'Request is not valid' },
  [ErrorCode.SaleNotStarted]: { status: 409, slug: 'sale-not-started', title: 'The sale has not started yet' },
  [ErrorCode.SaleEnded]: { status: 409, slug: 'sale-ended', title: 'The sale has ended' },
  [ErrorCode.CustomerRequired]: { status: 400, slug: 'customer-required', title: 'The product is limited per customer' },
  [ErrorCode.PurchaseLimitExceeded]: {
    status: 409,
    slug: 'purchase-limit-exceeded',
    title: 'The customer would pass the limit per customer',
  },
};

/** Problems that come from the HTTP layer itself rather than from the domain. */
export const HTTP_PROBLEMS = {
  validation: { status: 400, slug: 'validation-error', title: 'Request is not valid' },
  malformedJson: { status: 400, slug: 'malformed-json', title: 'Body is not valid JSON' },
  badRequest: { status: 400, slug: 'bad-request', title: 'Bad request' },
  unauthorized: { status: 401, slug: 'unauthorized', title: 'Missing or invalid credentials' },
  adminDisabled: { status: 403, slug: 'admin-disabled', title: 'The admin API is disabled' },
  invalidSignature: { status: 401, slug: 'invalid-signature', title: 'Webhook signature is missing or invalid' },
  notFound: { status: 404, slug: 'not-found', title: 'No such resource' },
  requestTimeout: { status: 408, slug: 'request-timeout', title: 'Request took too long to arrive' },
  payloadTooLarge: { status: 413, slug: 'payload-too-large', title: 'Body is too large' },
  uriTooLong: { status: 414, slug: 'uri-too-long', title: 'URL is too long' },
  unsupportedMediaType: { status: 415, slug: 'unsupported-media-type', title: 'Content type is not supported' },
  rateLimited: { status: 429, slug: 'rate-limited', title: 'Too many requests' },
  headersTooLarge: { status: 431, slug: 'headers-too-large', title: 'Request headers are too large' },
  internal: { status: 500, slug: 'internal-error', title: 'Internal server error' },
  unavailable: { status: 503, slug: 'service-unavailable', title: 'Service temporarily unavailable' },
} satisfies Record<string, ProblemKind>;
