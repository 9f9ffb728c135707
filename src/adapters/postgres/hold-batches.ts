import pg from 'pg';
import type { HoldLine, LineShortfall } from '../../domain/cart.ts';
import type { HoldStatus } from '../../domain/hold.ts';
import type { SaleRules } from '../../domain/fair-sale.ts';
import type { StockSnapshot } from '../../domain/stock.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';
import { present } from '../../domain/present.ts';

const PLACE_HOLDS = sql('place-holds');
const TIMESTAMPTZ: number = pg.types.builtins.TIMESTAMPTZ;
const builtinParser = pg.types.getTypeParser as (oid: number, format: 'text' | 'binary') => (text: string) => unknown;
const parseTimestamptz = builtinParser(TIMESTAMPTZ, 'text');

/**
 * The type parsers of one batch's rows: pg's own, except that each distinct timestamp text is
 * parsed once. Every row of a batch carries the same database clock twice (created_at and db_now
 * are the transaction's now()) and its granted holds the same expires_at, so a batch has two
 * distinct timestamps (and its products' sale windows) however many rows it returns. Each row
 * still gets Date objects of its own.
 */
function batchTypes(): pg.CustomTypesConfig {
  const seen = new Map<string, number>();
  const timestamptz = (text: string): unknown => {
    let ms = seen.get(text);
    if (ms === undefined) {
      const parsed = parseTimestamptz(text);
      // 'infinity' parses to a number, not a date: left as pg gives it.
      if (!(parsed instanceof Date)) return parsed;
      ms = parsed.getTime();
      seen.set(text, ms);
    }
    return new Date(ms);
  };
  const getTypeParser = (oid: number, format: 'text' | 'binary' = 'text') =>
    oid === TIMESTAMPTZ && format === 'text' ? timestamptz : builtinParser(oid, format);
  return { getTypeParser };
}

export interface HoldRequest {
  /** The hold's id, chosen by the caller so each answer can be matched to its request. */
  id: string;
  lines: readonly HoldLine[];
  /** Who the hold is for; none when absent. */
  customerId?: string | null;
}

/** A hold just placed, with the database clock at the time. */
export interface PlacedHold {
  id: string;
  lines: HoldLine[];
  customerId: string | null;
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
export type HoldDecision = (
  | { kind: 'placed'; hold: PlacedHold }
  | { kind: 'refused'; shortfalls: LineShortfall[] }
  | { kind: 'unknown-product'; productId: number }
  | { kind: 'rule'; refusal: RuleRefusal }
) & {
  mirror: StockSnapshot[];
  /** The sale rules of the request's products as the batch read them under their locks. */
  rules: { productId: number; rules: SaleRules }[];
};

/** A request refused by a product's rules (a fair sale, migration 008), for its first line refused so. */
export type RuleRefusal =
  | { rule: 'sale-not-started'; productId: number; startsAt: Date; dbNow: Date }
  | { rule: 'sale-ended'; productId: number; endsAt: Date }
  | { rule: 'customer-required'; productId: number }
  | { rule: 'purchase-limit-exceeded'; productId: number; limit: number; current: number; requested: number };

type Refusal =
  | 'product-not-found'
  | 'sale-not-started'
  | 'sale-ended'
  | 'customer-required'
  | 'insufficient-stock'
  | 'purchase-limit-exceeded';

/**
 * Which refusal of a request's lines is the request's: the first rule, in the order place_holds
 * checks them, that any line fails (an unknown product before everything).
 */
const REFUSAL_ORDER: Record<Refusal, number> = {
  'product-not-found': 0,
  'sale-not-started': 1,
  'sale-ended': 1,
  'customer-required': 2,
  'insufficient-stock': 3,
  'purchase-limit-exceeded': 4,
};

interface LineRow {
  request: number;
  product_id: number;
  quantity: number;
  granted: boolean;
  refusal: Refusal | null;
  fits: boolean | null;
  available: number | null;
  version: number | null;
  max_per_customer: number | null;
  sale_starts_at: Date | null;
  sale_ends_at: Date | null;
  customer_units: number | null;
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
  const { rows } = await db.query<LineRow>({
    text: PLACE_HOLDS,
    values: [
      requests.map((r) => r.id),
      requests.map((r) => r.customerId ?? null),
      ttlSeconds,
      lineRequest,
      lineProduct,
      lineQuantity,
    ],
    types: batchTypes(),
  });
  return decisions(requests, rows);
}

function decisions(requests: readonly HoldRequest[], rows: LineRow[]): HoldDecision[] {
  const count = requests.length;
  const byRequest: LineRow[][] = Array.from({ length: count }, () => []);
  for (const row of rows) present(byRequest[row.request - 1], `request ${row.request} of the batch`).push(row);
  const mirrored = new Set<number>();
  return byRequest.map((lines, i) => {
    const mirror: StockSnapshot[] = [];
    for (const l of lines) {
      if (l.available === null || l.version === null || mirrored.has(l.product_id)) continue;
      mirrored.add(l.product_id);
      mirror.push({ productId: l.product_id, available: l.available, version: l.version });
    }
    const rules = lines
      .filter((l) => l.available !== null)
      .map((l) => ({
        productId: l.product_id,
        rules: { maxPerCustomer: l.max_per_customer, saleStartsAt: l.sale_starts_at, saleEndsAt: l.sale_ends_at },
      }));
    const unknown = lines.find((l) => l.available === null);
    if (unknown) return { kind: 'unknown-product', productId: unknown.product_id, mirror, rules };
    const first = present(lines[0], 'first line of a hold request');
    const refused = firstRefusal(lines);
    if (!first.granted && refused && refused.refusal !== 'insufficient-stock') {
      return { kind: 'rule', refusal: ruleRefusal(refused, present(refused.refusal, 'refusal')), mirror, rules };
    }
    if (!first.granted) {
      const shortfalls = lines
        .filter((l) => l.fits === false)
        .map((l) => ({
          productId: l.product_id,
          requested: l.quantity,
          available: present(l.available, `stock of product ${l.product_id}`),
        }));
      return { kind: 'refused', shortfalls, mirror, rules };
    }
    return {
      kind: 'placed',
      mirror,
      rules,
      hold: {
        id: present(first.hold_id, 'id of a granted hold'),
        lines: lines.map((l) => ({ productId: l.product_id, quantity: l.quantity })),
        customerId: present(requests[i], `request ${i + 1} of the batch`).customerId ?? null,
        status: 'active',
        expires_at: present(first.expires_at, 'expiry of a granted hold'),
        created_at: present(first.created_at, 'creation time of a granted hold'),
        db_now: first.db_now,
      },
    };
  });
}

/** The line whose refusal comes first in the order the rules are checked; undefined when none was refused. */
function firstRefusal(lines: readonly LineRow[]): LineRow | undefined {
  let first: LineRow | undefined;
  let rank = Infinity;
  for (const l of lines) {
    if (l.refusal === null || REFUSAL_ORDER[l.refusal] >= rank) continue;
    first = l;
    rank = REFUSAL_ORDER[l.refusal];
  }
  return first;
}

function ruleRefusal(l: LineRow, refusal: Exclude<Refusal, 'insufficient-stock'>): RuleRefusal {
  const productId = l.product_id;
  switch (refusal) {
    case 'sale-not-started':
      return { rule: refusal, productId, startsAt: present(l.sale_starts_at, 'sale start'), dbNow: l.db_now };
    case 'sale-ended':
      return { rule: refusal, productId, endsAt: present(l.sale_ends_at, 'sale end') };
    case 'customer-required':
      return { rule: refusal, productId };
    case 'purchase-limit-exceeded':
      return {
        rule: refusal,
        productId,
        limit: present(l.max_per_customer, 'limit per customer'),
        current: present(l.customer_units, "customer's units"),
        requested: l.quantity,
      };
    case 'product-not-found':
      throw new Error(`place_holds refused product ${productId} as unknown but returned its stock`);
  }
}
