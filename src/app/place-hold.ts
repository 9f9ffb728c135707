import { randomUUID } from 'node:crypto';
import { placeHolds, type HoldDecision, type PlacedHold, type RuleRefusal } from '../adapters/postgres/hold-batches.ts';
import { readCurrencies, readStock } from '../adapters/postgres/products.ts';
import { checkDistinctProducts, checkOneCurrency, insufficientStock, type HoldLine, type LineShortfall } from '../domain/cart.ts';
import { productNotFound, type DomainError } from '../domain/errors.ts';
import { customerRequired, mirrorMayRefuse, purchaseLimitExceeded, saleEnded, saleNotStarted } from '../domain/fair-sale.ts';
import type { Hold } from '../domain/hold.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';
import { present } from '../domain/present.ts';

export interface PlaceHoldInput {
  /** One line per product; a single hold is a cart of one line. */
  lines: HoldLine[];
  /** Who the hold is for (the shop's id of the buyer), or null. */
  customerId?: string | null;
}

/**
 * A placed hold, or the lines the mirror already knows cannot fit. That refusal is the expected
 * answer of a sold-out storm, so it is a value the caller answers (409 insufficient-stock) rather
 * than an error: no throw, no error handler, on the path every refused request takes.
 */
export type HoldOutcome = { kind: 'placed'; hold: Hold } | { kind: 'short'; shortfalls: LineShortfall[] };

/**
 * Reserves every line of a cart for a while, or none. The mirror rejects what cannot fit without
 * touching the database (when PostgreSQL would refuse it the same way); PostgreSQL decides
 * everything else, sale windows and limits per customer included, in one statement that locks the
 * cart's products in id order, per hold or per batch of holds. Its refusals, and the other
 * refusals of the request (unknown product, duplicate lines...), are thrown as domain errors.
 */
export async function placeHold(ctx: AppContext, input: PlaceHoldInput): Promise<HoldOutcome> {
  checkDistinctProducts(input.lines);
  // Currencies never change once a product exists, so this read needs no lock and its answer never
  // goes stale (kept per process when the context has a cache); one-line holds skip it.
  if (input.lines.length > 1) {
    const ids = input.lines.map((l) => l.productId);
    checkOneCurrency(await (ctx.currencies ? ctx.currencies.read(ctx.pool, ids) : readCurrencies(ctx.pool, ids)));
  }
  const customerId = input.customerId ?? null;
  // From memory when the near cache and the catalog know every line: no await on that path.
  const shortOnMirror = knownShortfalls(ctx, input.lines) ?? (await mirrorShortfalls(ctx, input.lines));
  if (
    shortOnMirror.length > 0 &&
    (knownRulesLetMirrorRefuse(ctx, input.lines, customerId) ?? (await rulesLetMirrorRefuse(ctx, input.lines, customerId)))
  ) {
    ctx.metrics.holdRejected('insufficient_stock_mirror');
    return { kind: 'short', shortfalls: shortOnMirror };
  }

  const decision = ctx.holdBatcher
    ? await ctx.holdBatcher.place(input.lines, ctx.holdTtlSeconds, customerId)
    : present(
        (await placeHolds(ctx.pool, [{ id: randomUUID(), lines: input.lines, customerId }], ctx.holdTtlSeconds))[0],
        'decision for the one request',
      );
  const hold = await settle(ctx, decision);
  const delayMs = hold.expires_at.getTime() - hold.db_now.getTime();
  try {
    await ctx.expiry.schedule(hold.id, delayMs);
  } catch (err) {
    // The hold is committed; the sweeper expires it if its job could not be queued.
    ctx.log.warn({ err, holdId: hold.id }, 'could not schedule hold expiry; the sweeper will expire it');
  }
  return {
    kind: 'placed',
    hold: {
      id: hold.id,
      lines: hold.lines,
      customerId: hold.customerId,
      status: hold.status,
      expiresAt: hold.expires_at,
      createdAt: hold.created_at,
      endedAt: null,
    },
  };
}

/**
 * The insufficient-stock refusal of a one-line hold when memory alone decides it (the near cache
 * knows the product's stock and the catalog its rules, and the mirror may refuse): the shortfalls,
 * counted as a refusal like `placeHold`'s, or undefined when placing the hold has to ask anything.
 * Lets the HTTP edge answer a sold-out storm without a round trip (decision 29); carts are left to
 * `placeHold`, which checks their currencies first.
 */
export function knownRefusal(ctx: AppContext, input: PlaceHoldInput): LineShortfall[] | undefined {
  if (input.lines.length !== 1) return undefined;
  const short = knownShortfalls(ctx, input.lines);
  if (!short || short.length === 0) return undefined;
  if (knownRulesLetMirrorRefuse(ctx, input.lines, input.customerId ?? null) !== true) return undefined;
  ctx.metrics.holdRejected('insufficient_stock_mirror');
  return short;
}

/** `rulesLetMirrorRefuse` when the catalog already knows every line's rules; undefined otherwise. */
function knownRulesLetMirrorRefuse(ctx: AppContext, lines: readonly HoldLine[], customerId: string | null): boolean | undefined {
  const catalog = ctx.catalog;
  if (!catalog) return true;
  if (!catalog.known) return undefined;
  const now = Date.now();
  for (const line of lines) {
    const rules = catalog.known(ctx, line.productId);
    if (rules === undefined) return undefined;
    if (!mirrorMayRefuse(rules, customerId !== null, now)) return false;
  }
  return true;
}

/**
 * Whether PostgreSQL would refuse this cart as insufficient-stock too: it checks every line's sale
 * window and need of a customer before any stock (decision 17), so one line of a product with rules
 * may change the answer for a short line of another. Products without rules always let the mirror
 * refuse; the rules come from what the process keeps of each product (ProductCatalog).
 */
async function rulesLetMirrorRefuse(ctx: AppContext, lines: readonly HoldLine[], customerId: string | null): Promise<boolean> {
  if (!ctx.catalog) return true;
  const now = Date.now();
  for (const line of lines) {
    const rules = await ctx.catalog.rules(ctx, line.productId);
    if (rules && !mirrorMayRefuse(rules, customerId !== null, now)) return false;
  }
  return true;
}

function ruleError(r: RuleRefusal): DomainError {
  switch (r.rule) {
    case 'sale-not-started':
      return saleNotStarted(r.productId, r.startsAt, r.dbNow);
    case 'sale-ended':
      return saleEnded(r.productId, r.endsAt);
    case 'customer-required':
      return customerRequired(r.productId);
    case 'purchase-limit-exceeded':
      return purchaseLimitExceeded(r);
  }
}

const RULE_METRIC = {
  'sale-not-started': 'sale_window',
  'sale-ended': 'sale_window',
  'customer-required': 'customer_required',
  'purchase-limit-exceeded': 'purchase_limit',
} as const;

/**
 * Mirrors the stock this request is the first of its batch to know (the batch's other requests
 * skip that write), then answers: the hold, or why it was refused.
 */
async function settle(ctx: AppContext, decision: HoldDecision): Promise<PlacedHold> {
  for (const r of decision.rules) ctx.catalog?.learn(r.productId, r.rules);
  // Only the first hold of each product in a batch has stock to mirror; the others go on at once.
  if (decision.mirror.length > 0) await syncMirror(ctx, decision.mirror);
  switch (decision.kind) {
    case 'unknown-product':
      ctx.metrics.holdRejected('product_not_found');
      throw productNotFound(decision.productId);
    case 'refused':
      ctx.metrics.holdRejected('insufficient_stock_db');
      throw insufficientStock(decision.shortfalls);
    case 'rule':
      ctx.metrics.holdRejected(RULE_METRIC[decision.refusal.rule]);
      throw ruleError(decision.refusal);
    case 'placed':
      ctx.metrics.holdPlaced(decision.hold.lines.reduce((sum, l) => sum + l.quantity, 0));
      return decision.hold;
  }
}

/** `mirrorShortfalls` when the near cache has a current answer for every line; undefined otherwise. */
function knownShortfalls(ctx: AppContext, lines: readonly HoldLine[]): LineShortfall[] | undefined {
  const near = ctx.nearStock;
  if (!near?.peek) return undefined;
  const short: LineShortfall[] = [];
  for (const l of lines) {
    const available = near.peek(l.productId);
    if (available === undefined) return undefined;
    if (l.quantity > available) short.push({ productId: l.productId, requested: l.quantity, available });
  }
  return short;
}

/**
 * The lines that cannot fit by the mirrored stock (from the near cache while it is current). A missing key is rebuilt from the database
 * (read-through), which also finds unknown products. When Redis cannot answer, nothing is refused
 * here: the database alone decides.
 */
async function mirrorShortfalls(ctx: AppContext, lines: readonly HoldLine[]) {
  let mirrored: (number | null)[];
  try {
    mirrored = await Promise.all(lines.map((l) => (ctx.nearStock ?? ctx.mirror).read(l.productId)));
  } catch (err) {
    ctx.log.warn({ err }, 'mirror unavailable; deciding on the database alone');
    return [];
  }
  const missing = lines.filter((_, i) => mirrored[i] === null).map((l) => l.productId);
  if (missing.length > 0) {
    const stock = await readStock(ctx.pool, missing);
    const unknown = missing.find((id) => !stock.some((s) => s.id === id));
    if (unknown !== undefined) {
      ctx.metrics.holdRejected('product_not_found');
      throw productNotFound(unknown);
    }
    await syncMirror(
      ctx,
      stock.map((s) => ({ productId: s.id, available: s.available, version: s.version })),
    );
    for (const s of stock) mirrored[lines.findIndex((l) => l.productId === s.id)] = s.available;
  }
  return lines
    .map((l, i) => ({
      productId: l.productId,
      requested: l.quantity,
      available: present(mirrored[i], `mirrored stock of product ${l.productId}`),
    }))
    .filter((s) => s.requested > s.available);
}
