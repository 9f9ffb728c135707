import type { HoldEndedBy, HoldStatus } from '../../domain/hold.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';

const SQL = {
  place: sql('place-hold'),
  end: sql('end-hold'),
  expireOverdue: sql('expire-overdue-holds'),
  find: sql('find-hold'),
};

export interface HoldFields {
  id: string;
  product_id: number;
  quantity: number;
  status: HoldStatus;
  expires_at: Date;
  created_at: Date;
}

export interface HoldRow extends HoldFields {
  ended_at: Date | null;
  live: boolean;
  remaining_ms: number;
}

/** A hold just placed, with the product's new stock and the database clock at the time. */
export interface PlacedHoldRow extends HoldFields {
  available: number;
  version: number;
  db_now: Date;
}

/** A hold that ended and gave its stock back: the product's new stock, for the mirror. */
export interface EndedHoldRow {
  product_id: number;
  available: number;
  version: number;
  expires_at: Date;
  ended_at: Date;
}

export async function placeHoldRow(
  db: Db,
  h: { productId: number; quantity: number; ttlSeconds: number },
): Promise<PlacedHoldRow | null> {
  const { rows } = await db.query<PlacedHoldRow>(SQL.place, [h.productId, h.quantity, h.ttlSeconds]);
  return rows[0] ?? null;
}

export async function findHold(db: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<HoldRow | null> {
  const { rows } = await db.query<HoldRow>(opts.forUpdate ? `${SQL.find} for update` : SQL.find, [id]);
  return rows[0] ?? null;
}

/** Expires (when due) or releases (when still live) an active hold; null when nothing changed. */
export async function endHold(
  db: Db,
  id: string,
  status: Extract<HoldStatus, 'expired' | 'released'>,
  by: Exclude<HoldEndedBy, 'order'>,
): Promise<EndedHoldRow | null> {
  const { rows } = await db.query<EndedHoldRow>(SQL.end, [id, status, by]);
  return rows[0] ?? null;
}

export async function expireOverdueHoldRows(db: Db, batchSize: number): Promise<(EndedHoldRow & { id: string })[]> {
  const { rows } = await db.query(SQL.expireOverdue, [batchSize]);
  return rows;
}
