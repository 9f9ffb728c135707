import { DOMAIN_PROBLEMS, HTTP_PROBLEMS, type ProblemKind } from '../../problem-types.ts';

/** What each problem type means and what to do about it: one sentence per slug, for its page. */
export const PROBLEM_ABOUT: Record<string, string> = {
  'validation-error':
    'A field is missing, of the wrong type or out of range, or a price has more decimals than its currency allows. ' +
    'The `errors` list names each field by its JSON pointer; fix them and send again.',
  'duplicate-product': 'A cart (`items`) names the same product twice; `product_id` says which. Send each product once.',
  'currency-mismatch':
    'A cart (`items`) holds products priced in different currencies; one order is in one currency. `currencies` names them: place one hold per currency.',
  'malformed-json': 'The body is not JSON, is not UTF-8, is empty, or tries prototype poisoning (`__proto__`).',
  'bad-request': 'The URL cannot be decoded (a malformed percent-encoding), or the request is not valid HTTP.',
  unauthorized:
    'The admin API needs `Authorization: Bearer <ADMIN_TOKEN>`, and holds need the customer token when CUSTOMER_JWT_SECRET is set; ' +
    'the token was missing, wrong or expired.',
  'admin-disabled': 'The admin API is off because the service has no ADMIN_TOKEN configured.',
  'invalid-signature':
    'The webhook signature headers (webhook-id, webhook-timestamp, webhook-signature) are missing, wrong, ' +
    'outside the five-minute tolerance, or the same signed message was already accepted.',
  'product-not-found': 'No product has this id.',
  'hold-not-found': 'No hold has this id (a hold id that is not a UUID included).',
  'order-not-found': 'No order has this id.',
  'not-found': 'No route answers this method and path.',
  'request-timeout': 'The request did not arrive in time.',
  'sale-not-started':
    'The product is not on sale yet: `starts_at` says when it opens, and `Retry-After` how many seconds are left.',
  'sale-ended': 'The sale of this product is over (`ends_at`); no more holds are taken.',
  'customer-required':
    'The product is limited per customer, so a hold must name its customer (`customer_id`, or the customer token when the service asks for one).',
  'purchase-limit-exceeded':
    "The hold would take the customer past the product's limit: `limit` units per customer, `current` they already have " +
    '(active holds and orders created or paid), `requested` in this hold.',
  'insufficient-stock': 'A hold asks for more units than are available; try a smaller quantity or later.',
  'stock-below-zero': 'A stock adjustment would take available stock below zero.',
  'stock-limit-exceeded': 'A stock adjustment would take total stock past 1,000,000,000.',
  'hold-expired': 'The hold ran out of time before it was ordered; its stock went back. Place a new hold.',
  'hold-released': 'The hold was released; its stock went back. Place a new hold.',
  'hold-confirmed': 'The hold already became an order, so it cannot be released.',
  'idempotency-key-in-flight': 'A request with the same Idempotency-Key is still being processed; retry shortly.',
  'idempotency-key-reused': 'This idempotency key was already used with another payload; use a new key for a new request.',
  'payload-too-large': 'The body is over 64 KiB.',
  'uri-too-long': 'A path segment is longer than any id (200 characters).',
  'unsupported-media-type': 'The body is neither JSON nor text; send `content-type: application/json`.',
  'rate-limited': 'Too many holds from this client in the current window; wait `Retry-After` seconds.',
  'headers-too-large': 'The request line and headers are over 16 KiB.',
  'internal-error': 'A bug on our side; the log has the details under the request id.',
  'service-unavailable': 'A backing service (PostgreSQL) is unreachable; retry after `Retry-After` seconds.',
};

/** Every problem type the service can answer, by slug (a slug several codes share appears once). */
export function problemKinds(): Map<string, ProblemKind> {
  const kinds = new Map<string, ProblemKind>();
  for (const kind of [...Object.values(HTTP_PROBLEMS), ...Object.values(DOMAIN_PROBLEMS)]) kinds.set(kind.slug, kind);
  return kinds;
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const code = (text: string): string => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const page = (title: string, body: string): string =>
  '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>' +
  escape(title) +
  '</title></head>\n<body>\n' +
  body +
  '\n</body></html>\n';

export function problemPage(kind: ProblemKind): string {
  return page(
    `${kind.title} (${kind.slug})`,
    `<h1>${escape(kind.title)}</h1>\n<p>HTTP ${kind.status}. Problem type <code>/problems/${kind.slug}</code>.</p>\n` +
      `<p>${code(PROBLEM_ABOUT[kind.slug] ?? kind.title)}</p>\n` +
      '<p>Every error of this API is an RFC 9457 <code>application/problem+json</code> document; ' +
      'branch on its <code>type</code>. <a href="/problems">All problem types</a>.</p>',
  );
}

export function problemIndexPage(kinds: Map<string, ProblemKind>): string {
  const rows = [...kinds.values()]
    .sort((a, b) => a.status - b.status || a.slug.localeCompare(b.slug))
    .map((k) => `<li>${k.status} <a href="/problems/${k.slug}">${k.slug}</a>: ${escape(k.title)}</li>`);
  return page('flashsale problem types', `<h1>Problem types</h1>\n<ul>\n${rows.join('\n')}\n</ul>`);
}
