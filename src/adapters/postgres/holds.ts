import type { HoldLine } from '../../domain/cart.ts';
import type { Hold, HoldEndedBy, HoldStatus } from '../../domain/hold.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';

const SQL = {
  end: sql('end-hold'),
  expireOverdue: sql('expire-overdue-holds'),
  find: sql('find-hold'),
  nextDue: sql('next-hold-due'),
  sleepUntil: sql('sleep-until'),
};

/** A hold's lines as the queries return them (json). */
export interface LineJson {
  product_id: number;
  quantity: number;
}

export interface HoldFields {
  id: string;
  customer_id: string | null;
  status: HoldStatus;
  expires_at: Date;
  created_at: Date;
  ended_at: Date | null;
  items: LineJson[];
}

export interface HoldRow extends HoldFields {
  live: boolean;
  remaining_ms: number;
}

/** One line of a hold that ended and gave its stock back: the product's new stock, for the mirror. */
export interface EndedLineRow {
  product_id: number;
  available: number;
  version: number;
  expires_at: Date;
  ended_at: Date;
}

export const linesOf = (items: readonly LineJson[]): HoldLine[] =>
  items.map((l) => ({ productId: l.product_id, quantity: l.quantity }));

/** The hold a row read by any of the hold queries describes. */
export const holdOf = (row: HoldFields): Hold => ({
  id: row.id,
  lines: linesOf(row.items),
  customerId: row.customer_id,
  status: row.status,
  expiresAt: row.expires_at,
  createdAt: row.created_at,
  endedAt: row.ended_at,
});

export async function findHold(db: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<HoldRow | null> {
  const { rows } = await db.query<HoldRow>(opts.forUpdate ? `${SQL.find} for update` : SQL.find, [id]);
  return rows[0] ?? null;
}

/**
 * Expires (when due) or releases (when still live) an active hold and gives every line back; one
 * row per line, none when nothing changed.
 */
export async function endHold(
  db: Db,
  id: string,
  status: Extract<HoldStatus, 'expired' | 'released'>,
  by: Exclude<HoldEndedBy, 'order'>,
): Promise<EndedLineRow[]> {
  const { rows } = await db.query<EndedLineRow>(SQL.end, [id, status, by]);
  return rows;
}

/** One row per line of each hold the sweeper expired. */
export async function expireOverdueHoldRows(db: Db, batchSize: number): Promise<(EndedLineRow & { id: string })[]> {
  const { rows } = await db.query<EndedLineRow & { id: string }>(SQL.expireOverdue, [batchSize]);
  return rows;
}

/** The next instant an active hold falls due, by the database clock, exactly; null when none is ahead. */
export interface NextHoldDue {
  /** The instant as the database wrote it (text: microseconds kept). */
  at: string;
  /** How far off it is, by the database clock. */
  inMs: number;
}

export async function nextHoldDue(db: Db): Promise<NextHoldDue | null> {
  const { rows } = await db.query<{ at: string | null; in_ms: number | null }>(SQL.nextDue);
  const row = rows[0];
  return row?.at != null && row.in_ms != null ? { at: row.at, inMs: row.in_ms } : null;
}

/** Resolves once the database clock has reached `at` (one of nextHoldDue's instants). */
export async function sleepUntil(db: Db, at: string): Promise<void> {
  await db.query(SQL.sleepUntil, [at]);
}
