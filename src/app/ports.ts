/**
 * What the use cases need from the outside world, as small interfaces. The Redis and BullMQ
 * adapters implement them in production; in-process stand-ins implement them in embedded mode.
 */
import type pg from 'pg';
import type { HoldBatcher } from '../adapters/postgres/hold-batcher.ts';

/** A product's available stock at a database version. */
export interface StockSnapshot {
  productId: number;
  available: number;
  version: number;
}

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

/** Schedules the on-time expiry of each hold (BullMQ delayed job, job id = hold id). */
export interface ExpiryScheduler {
  schedule(holdId: string, delayMs: number): Promise<void>;
  cancel(holdId: string): Promise<void>;
  /** Expiry jobs scheduled and not yet done (delayed, waiting or running). */
  depth(): Promise<number>;
}

export interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

/** The fast layer of webhook idempotency: responses remembered by key for a while. */
export interface IdempotencyCache {
  get(key: string): Promise<StoredResponse | null>;
  put(key: string, value: StoredResponse, ttlSeconds: number): Promise<void>;
}

/** A response as sent, kept so a retry with the same `Idempotency-Key` gets the very same answer. */
export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What is known about an `Idempotency-Key` when a request claims it. */
export type IdempotencyClaim =
  | { state: 'claimed'; token: string }
  | { state: 'in_flight'; fingerprint: string }
  | { state: 'completed'; fingerprint: string; response: RecordedResponse };

/**
 * Request keys of the `Idempotency-Key` header (IETF httpapi-idempotency-key-header): claimed
 * atomically by the first request, then holding its response until they expire.
 */
export interface RequestIdempotencyStore {
  /** Claims `key` for a request with this fingerprint unless it is known; else says what is known. */
  claim(key: string, fingerprint: string, lockSeconds: number): Promise<IdempotencyClaim>;
  /** Stores the response of the request that claimed `key`, for `ttlSeconds`. */
  complete(key: string, fingerprint: string, response: RecordedResponse, ttlSeconds: number): Promise<void>;
  /** Gives up a claim (by its token) that produced no answer worth repeating, so a retry runs again. */
  release(key: string, token: string): Promise<void>;
}

/** Signed webhook message ids seen recently, so the same signed message cannot be delivered twice. */
export interface WebhookReplayGuard {
  /** Records `messageId`; false when it was already recorded within the last `ttlSeconds`. */
  firstSighting(messageId: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets `messageId`, so the sender's retry of a message that failed on our side is accepted. */
  forget(messageId: string): Promise<void>;
}

/** Fixed-window hit counters per client, shared by every process (rate limiting). */
export interface RateCounter {
  /** Counts one hit for `key`; returns the hits in the current window and ms until it ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Why a hold was refused. */
export type HoldRejection = 'insufficient_stock_mirror' | 'insufficient_stock_db' | 'product_not_found';
/** Which path expired a hold. */
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
  webhookHandled(outcome: 'applied' | 'ignored' | 'pending' | 'replayed' | 'key_reused'): void;
  mirrorRepaired(count: number): void;
}

export const noopMetrics: Metrics = {
  holdPlaced() {},
  holdRejected() {},
  holdExpired() {},
  holdReleased() {},
  orderCreated() {},
  webhookHandled() {},
  mirrorRepaired() {},
};

/** Everything a use case may touch, passed in explicitly. */
export interface AppContext {
  pool: pg.Pool;
  mirror: StockMirror;
  expiry: ExpiryScheduler;
  idempotency: IdempotencyCache;
  /** HTTP-edge guards: the Idempotency-Key header, webhook replays and rate limits. */
  requestIdempotency: RequestIdempotencyStore;
  webhookReplays: WebhookReplayGuard;
  rateCounter: RateCounter;
  log: Logger;
  metrics: Metrics;
  holdTtlSeconds: number;
  /** Group commit of holds on hot products; without it every hold takes the row lock alone. */
  holdBatcher?: HoldBatcher;
}
