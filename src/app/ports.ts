/**
 * What the use cases need from the outside world. PostgreSQL is the system of record and use
 * cases speak SQL through `adapters/postgres` directly (decision 13); the interfaces here are the
 * ports that have two implementations: Redis or BullMQ in production, an in-process stand-in in
 * the embedded mode.
 */
import type { Pool } from '../adapters/postgres/db.ts';
import type { HoldBatcher } from '../adapters/postgres/hold-batcher.ts';
import type { ProductCurrencies } from '../adapters/postgres/product-currencies.ts';
import type { SaleRules } from '../domain/fair-sale.ts';
import type { StockSnapshot } from '../domain/stock.ts';

export type { StockSnapshot };

/** What a mirror write did: created the key, changed it, found it equal, or refused an older version. */
export type MirrorWriteResult = 'created' | 'changed' | 'unchanged' | 'stale';

/** The versioned copy of each product's available stock (Redis `product:{id}:stock`). */
export interface StockMirror {
  /** The mirrored available stock, or null when the key is missing. */
  read(productId: number): Promise<number | null>;
  /** Compare-and-set: only a version not older than the mirrored one is written. */
  write(snapshot: StockSnapshot): Promise<MirrorWriteResult>;
  writeMany(snapshots: StockSnapshot[]): Promise<MirrorWriteResult[]>;
}

/**
 * The stock an API process has seen, answered from memory while it is known to be current (the
 * near cache: DESIGN.md, "a near cache may answer, never decide"). Read before the database
 * decides a hold, and for product reads; the mirror itself stays the one written and checked.
 */
export type NearStock = Pick<StockMirror, 'read'> & {
  /**
   * The stock when memory has a current answer, without a promise; undefined when only `read`
   * can tell. Lets a sold-out refusal or a product read finish in the same turn of the event loop.
   */
  peek?(productId: number): number | undefined;
};

/**
 * Schedules the deadlines that give stock back on time (BullMQ delayed jobs): each hold's expiry
 * (job id = hold id) and each order's payment deadline (job id = paymentDeadlineJobId(order id)).
 */
export interface ExpiryScheduler {
  schedule(jobId: string, delayMs: number): Promise<void>;
  cancel(jobId: string): Promise<void>;
  /** Deadline jobs scheduled and not yet done (delayed, waiting or running). */
  depth(): Promise<number>;
}

export interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

/**
 * The fast layer of webhook idempotency (the payment events table is the durable one): webhook
 * responses remembered by `idempotency_key` for a while.
 */
export interface WebhookIdempotencyCache {
  get(key: string): Promise<StoredResponse | null>;
  put(key: string, value: StoredResponse, ttlSeconds: number): Promise<void>;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Why a hold was refused. */
export type HoldRejection =
  | 'insufficient_stock_mirror'
  | 'insufficient_stock_db'
  | 'product_not_found'
  | 'sale_window'
  | 'customer_required'
  | 'purchase_limit';
/** Which path expired a hold, or cancelled an unpaid order. */
export type ExpiryPath = 'job' | 'sweeper' | 'request';

/**
 * What the use cases report as it happens, for metrics. Implementations must be cheap and never
 * throw; `noopMetrics` is the default.
 */
export interface Metrics {
  holdPlaced(quantity: number): void;
  holdRejected(reason: HoldRejection): void;
  holdExpired(path: ExpiryPath, lagMs: number): void;
  holdReleased(): void;
  orderCreated(): void;
  webhookHandled(outcome: 'applied' | 'ignored' | 'pending' | 'late' | 'replayed' | 'key_reused'): void;
  /** An order's payment was applied: it is now paid, or failed and its stock came back. */
  paymentSettled(status: 'paid' | 'failed'): void;
  /** An order still unpaid at its deadline was cancelled by this path, `lagMs` after the deadline. */
  orderCancelled(path: ExpiryPath, lagMs: number): void;
  /** A payment arrived for an order already cancelled: it now owes the buyer a refund. */
  latePayment(): void;
  mirrorRepaired(count: number): void;
}

export const noopMetrics: Metrics = {
  holdPlaced() {},
  holdRejected() {},
  holdExpired() {},
  holdReleased() {},
  orderCreated() {},
  webhookHandled() {},
  paymentSettled() {},
  orderCancelled() {},
  latePayment() {},
  mirrorRepaired() {},
};

/** Several Metrics as one: each event goes to every one of them, in order. */
export function allMetrics(...targets: Metrics[]): Metrics {
  return {
    holdPlaced: (q) => targets.forEach((t) => t.holdPlaced(q)),
    holdRejected: (r) => targets.forEach((t) => t.holdRejected(r)),
    holdExpired: (p, lag) => targets.forEach((t) => t.holdExpired(p, lag)),
    holdReleased: () => targets.forEach((t) => t.holdReleased()),
    orderCreated: () => targets.forEach((t) => t.orderCreated()),
    webhookHandled: (o) => targets.forEach((t) => t.webhookHandled(o)),
    paymentSettled: (s) => targets.forEach((t) => t.paymentSettled(s)),
    orderCancelled: (p, lag) => targets.forEach((t) => t.orderCancelled(p, lag)),
    latePayment: () => targets.forEach((t) => t.latePayment()),
    mirrorRepaired: (n) => targets.forEach((t) => t.mirrorRepaired(n)),
  };
}

/** Counters of one second, by name (`holds_placed`, `lat_42`, ...). */
export type PulseTally = Record<string, number>;

/**
 * Per-second counters shared by every process of a deployment (the live dashboard's rates): each
 * process adds what it counted in a second once that second is over; a reader sums all of them.
 */
export interface SalePulseStore {
  /** Adds `tally` to the counters of epoch second `second`. */
  add(second: number, tally: PulseTally): Promise<void>;
  /** The summed counters of each epoch second asked for ({} for a second nobody counted in). */
  read(seconds: number[]): Promise<PulseTally[]>;
}

/** Everything a use case may touch, passed in explicitly. */
export interface AppContext {
  pool: Pool;
  mirror: StockMirror;
  /** Where a hold's pre-check and a product read find the stock; the mirror itself when absent. */
  nearStock?: NearStock;
  expiry: ExpiryScheduler;
  webhookIdempotency: WebhookIdempotencyCache;
  log: Logger;
  metrics: Metrics;
  holdTtlSeconds: number;
  /** How long an order may stay unpaid before it is cancelled; 0 = no deadline. */
  orderPaymentTtlSeconds: number;
  /** Group commit of holds on hot products; without it every hold takes the row lock alone. */
  holdBatcher?: HoldBatcher;
  /** The currencies of products already seen, for a cart's currency check; read each time when absent. */
  currencies?: ProductCurrencies;
  /**
   * Each product's sale rules as this process last read them (a few seconds old at most), for the
   * hold pre-check; without it the mirror refuses whatever does not fit, as before rules existed.
   */
  catalog?: SaleRulesSource;
}

/** Where the pre-check finds a product's rules: null for an unknown product. */
export interface SaleRulesSource {
  rules(ctx: AppContext, productId: number): Promise<SaleRules | null>;
  /** The rules when already known (as `rules` would answer them, no waiting); undefined otherwise. */
  known?(ctx: AppContext, productId: number): SaleRules | undefined;
  /** Rules just read by the database, as a batch of holds returns them. */
  learn(productId: number, rules: SaleRules): void;
}
