import { randomUUID } from 'node:crypto';
import { placeHolds, type HoldDecision, type PlacedHold } from '../adapters/postgres/hold-batches.ts';
import { readCurrencies, readStock } from '../adapters/postgres/products.ts';
import { checkDistinctProducts, checkOneCurrency, insufficientStock, type HoldLine } from '../domain/cart.ts';
import { productNotFound } from '../domain/errors.ts';
import type { Hold } from '../domain/hold.ts';
import { syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';
import { present } from '../domain/present.ts';

export interface PlaceHoldInput {
  /** One line per product; a single hold is a cart of one line. */
  lines: HoldLine[];
}

/**
 * Reserves every line of a cart for a while, or none. The mirror rejects what cannot fit without
 * touching the database; PostgreSQL decides everything else in one statement that locks the cart's
 * products in id order, per hold or per batch of holds.
 */
export async function placeHold(ctx: AppContext, input: PlaceHoldInput): Promise<Hold> {
  checkDistinctProducts(input.lines);
  // Currencies never change once a product exists, so this read needs no lock and its answer never
  // goes stale (kept per process when the context has a cache); one-line holds skip it.
  if (input.lines.length > 1) {
    const ids = input.lines.map((l) => l.productId);
    checkOneCurrency(await (ctx.currencies ? ctx.currencies.read(ctx.pool, ids) : readCurrencies(ctx.pool, ids)));
  }
  const shortOnMirror = await mirrorShortfalls(ctx, input.lines);
  if (shortOnMirror.length > 0) {
    ctx.metrics.holdRejected('insufficient_stock_mirror');
    throw insufficientStock(shortOnMirror);
  }

  const decision = ctx.holdBatcher
    ? await ctx.holdBatcher.place(input.lines, ctx.holdTtlSeconds)
    : present(
        (await placeHolds(ctx.pool, [{ id: randomUUID(), lines: input.lines }], ctx.holdTtlSeconds))[0],
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
    id: hold.id,
    lines: hold.lines,
    status: hold.status,
    expiresAt: hold.expires_at,
    createdAt: hold.created_at,
    endedAt: null,
  };
}

/**
 * Mirrors the stock this request is the first of its batch to know (the batch's other requests
 * skip that write), then answers: the hold, or why it was refused.
 */
async function settle(ctx: AppContext, decision: HoldDecision): Promise<PlacedHold> {
  await syncMirror(ctx, decision.mirror);
  switch (decision.kind) {
    case 'unknown-product':
      ctx.metrics.holdRejected('product_not_found');
      throw productNotFound(decision.productId);
    case 'refused':
      ctx.metrics.holdRejected('insufficient_stock_db');
      throw insufficientStock(decision.shortfalls);
    case 'placed':
      ctx.metrics.holdPlaced(decision.hold.lines.reduce((sum, l) => sum + l.quantity, 0));
      return decision.hold;
  }
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
