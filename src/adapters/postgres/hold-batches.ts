import type { HoldStatus } from '../../domain/hold.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';

const PLACE_BATCH = sql('place-hold-batch');

export interface BatchRequest {
  /** Chosen by the caller so each answer can be matched to its request. */
  id: string;
  quantity: number;
}

/** One answer per request, in arrival order; hold columns are null when it was not granted. */
export interface BatchAnswerRow {
  ord: number;
  granted: boolean;
  id: string | null;
  product_id: number;
  quantity: number;
  status: HoldStatus | null;
  expires_at: Date | null;
  created_at: Date | null;
  available: number;
  version: number;
  db_now: Date;
}

/**
 * Places a batch of holds on one product in one statement (one row lock, one commit). Resolves
 * only after the commit; an empty array means the product does not exist.
 */
export async function placeHoldBatch(
  db: Db,
  productId: number,
  requests: BatchRequest[],
  ttlSeconds: number,
): Promise<BatchAnswerRow[]> {
  const { rows } = await db.query<BatchAnswerRow>(PLACE_BATCH, [
    productId,
    requests.map((r) => r.quantity),
    requests.map((r) => r.id),
    ttlSeconds,
  ]);
  return rows;
}
