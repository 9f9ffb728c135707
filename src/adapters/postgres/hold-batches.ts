import type { HoldLine, LineShortfall } from '../../domain/cart.ts';
import type { HoldStatus } from '../../domain/hold.ts';
import type { StockSnapshot } from '../../domain/stock.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';
import { present } from '../../domain/present.ts';

const PLACE_HOLDS = sql('place-holds');

export interface HoldRequest {
  /** The hold's id, chosen by the caller so each answer can be matched to its request. */
  id: string;
  lines: readonly HoldLine[];
}

/** A hold just placed, with the database clock at the time. */
export interface PlacedHold {
  id: string;
  lines: HoldLine[];
  status: HoldStatus;
  expires_at: Date;
  created_at: Date;
  db_now: Date;
}

/**
 * What the database decided for one request of a batch. `mirror` holds the stock after the batch of
 * the products this request is the first in its batch to touch: written once per product and batch
 * instead of once per hold.
 */
export type HoldDecision =
  | { kind: 'placed'; hold: PlacedHold; mirror: StockSnapshot[] }
  | { kind: 'refused'; shortfalls: LineShortfall[]; mirror: StockSnapshot[] }
  | { kind: 'unknown-product'; productId: number; mirror: StockSnapshot[] };

interface LineRow {
  request: number;
  product_id: number;
  quantity: number;
  granted: boolean;
  fits: boolean | null;
  available: number | null;
  version: number | null;
  hold_id: string | null;
  expires_at: Date | null;
  created_at: Date | null;
  db_now: Date;
}

/**
 * Places a batch of holds (carts of one or more lines) in one statement: one lock per product, in
 * id order, one commit. Resolves only after the commit, with one decision per request, in order.
 */
export async function placeHolds(db: Db, requests: readonly HoldRequest[], ttlSeconds: number): Promise<HoldDecision[]> {
  const lineRequest: number[] = [];
  const lineProduct: number[] = [];
  const lineQuantity: number[] = [];
  requests.forEach((r, i) => {
    for (const line of r.lines) {
      lineRequest.push(i + 1);
      lineProduct.push(line.productId);
      lineQuantity.push(line.quantity);
    }
  });
  const { rows } = await db.query<LineRow>(PLACE_HOLDS, [
    requests.map((r) => r.id),
    ttlSeconds,
    lineRequest,
    lineProduct,
    lineQuantity,
  ]);
  return decisions(requests.length, rows);
}

function decisions(count: number, rows: LineRow[]): HoldDecision[] {
  const byRequest: LineRow[][] = Array.from({ length: count }, () => []);
  for (const row of rows) present(byRequest[row.request - 1], `request ${row.request} of the batch`).push(row);
  const mirrored = new Set<number>();
  return byRequest.map((lines) => {
    const mirror: StockSnapshot[] = [];
    for (const l of lines) {
      if (l.available === null || l.version === null || mirrored.has(l.product_id)) continue;
      mirrored.add(l.product_id);
      mirror.push({ productId: l.product_id, available: l.available, version: l.version });
    }
    const unknown = lines.find((l) => l.available === null);
    if (unknown) return { kind: 'unknown-product', productId: unknown.product_id, mirror };
    const first = present(lines[0], 'first line of a hold request');
    if (!first.granted) {
      const shortfalls = lines
        .filter((l) => l.fits === false)
        .map((l) => ({
          productId: l.product_id,
          requested: l.quantity,
          available: present(l.available, `stock of product ${l.product_id}`),
        }));
      return { kind: 'refused', shortfalls, mirror };
    }
    return {
      kind: 'placed',
      mirror,
      hold: {
        id: present(first.hold_id, 'id of a granted hold'),
        lines: lines.map((l) => ({ productId: l.product_id, quantity: l.quantity })),
        status: 'active',
        expires_at: present(first.expires_at, 'expiry of a granted hold'),
        created_at: present(first.created_at, 'creation time of a granted hold'),
        db_now: first.db_now,
      },
    };
  });
}
