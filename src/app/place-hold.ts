import { DomainError, ErrorCode, productNotFound } from '../domain/errors.ts';
import type { Hold } from '../domain/hold.ts';
import { placeHoldRow, type PlacedHoldRow } from '../adapters/postgres/holds.ts';
import { readStock } from '../adapters/postgres/products.ts';
import { snapshotOf, syncMirror } from './mirror-sync.ts';
import type { AppContext } from './ports.ts';

export interface PlaceHoldInput {
  productId: number;
  quantity: number;
}

/**
 * Reserves stock for a while. The mirror rejects what cannot fit without touching the database;
 * PostgreSQL decides everything else with one conditional update, per hold or per batch of holds.
 */
export async function placeHold(ctx: AppContext, input: PlaceHoldInput): Promise<Hold> {
  const mirrored = await mirroredStock(ctx, input.productId);
  if (mirrored !== null && input.quantity > mirrored) {
    ctx.metrics.holdRejected('insufficient_stock_mirror');
    throw insufficient(input, mirrored);
  }

  const row = ctx.holdBatcher ? await placeBatched(ctx, input) : await placeAlone(ctx, input);
  const delayMs = row.expires_at.getTime() - row.db_now.getTime();
  try {
    await ctx.expiry.schedule(row.id, delayMs);
  } catch (err) {
    // The hold is committed; the sweeper expires it if its job could not be queued.
    ctx.log.warn({ err, holdId: row.id }, 'could not schedule hold expiry; the sweeper will expire it');
  }
  return {
    id: row.id,
    productId: row.product_id,
    quantity: row.quantity,
    status: row.status,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}

/** One statement per hold: the row lock is taken once for each. Commits, then mirrors the stock. */
async function placeAlone(ctx: AppContext, input: PlaceHoldInput): Promise<PlacedHoldRow> {
  const row = await placeHoldRow(ctx.pool, { ...input, ttlSeconds: ctx.holdTtlSeconds });
  if (!row) {
    // Unknown product, or the mirror was behind: refresh it from the truth and say which.
    const [stock] = await readStock(ctx.pool, [input.productId]);
    if (!stock) {
      ctx.metrics.holdRejected('product_not_found');
      throw productNotFound(input.productId);
    }
    await syncMirror(ctx, [{ productId: stock.id, available: stock.available, version: stock.version }]);
    ctx.metrics.holdRejected('insufficient_stock_db');
    throw insufficient(input, stock.available);
  }
  ctx.metrics.holdPlaced(row.quantity);
  await syncMirror(ctx, [snapshotOf(row)]);
  return row;
}

/**
 * Group commit (see hold-batcher.ts): committed together with the holds that arrived beside it.
 * One hold per batch copies the batch's resulting stock to the mirror.
 */
async function placeBatched(ctx: AppContext, input: PlaceHoldInput): Promise<PlacedHoldRow> {
  const result = await ctx.holdBatcher!.place(input.productId, input.quantity, ctx.holdTtlSeconds);
  if (result.kind === 'unknown-product') {
    ctx.metrics.holdRejected('product_not_found');
    throw productNotFound(input.productId);
  }
  if (result.kind === 'refused') {
    if (result.leadsBatch) await syncMirror(ctx, [result.stock]);
    ctx.metrics.holdRejected('insufficient_stock_db');
    throw insufficient(input, result.stock.available);
  }
  ctx.metrics.holdPlaced(result.row.quantity);
  if (result.leadsBatch) await syncMirror(ctx, [snapshotOf(result.row)]);
  return result.row;
}

/**
 * The mirrored stock (from the near cache while it is current), rebuilt from the database when the
 * key is missing (read-through). Null when Redis cannot answer: then the database alone decides.
 */
async function mirroredStock(ctx: AppContext, productId: number): Promise<number | null> {
  let value: number | null;
  try {
    value = await (ctx.nearStock ?? ctx.mirror).read(productId);
  } catch (err) {
    ctx.log.warn({ err }, 'mirror unavailable; deciding on the database alone');
    return null;
  }
  if (value !== null) return value;
  const [stock] = await readStock(ctx.pool, [productId]);
  if (!stock) {
    ctx.metrics.holdRejected('product_not_found');
    throw productNotFound(productId);
  }
  await syncMirror(ctx, [{ productId, available: stock.available, version: stock.version }]);
  return stock.available;
}

const insufficient = (input: PlaceHoldInput, available: number): DomainError =>
  new DomainError(
    ErrorCode.InsufficientStock,
    `Only ${available} left of product ${input.productId}; ${input.quantity} requested.`,
    { product_id: input.productId, requested: input.quantity, available },
  );
